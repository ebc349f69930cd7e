"""Forms parse and check the shape of input; the services check the rules."""

from django import forms

from communities.models import Community
from core.forms import DateInput
from core.uploads import upload_accept
from members.models import MemberUnit, ReportingUnit, User


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(PhotosField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class PersonChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj}（{obj.person.affiliation}）" if obj.person_id else str(obj)


class PlanForm(forms.Form):
    title = forms.CharField(label="检查名称", max_length=100)
    purpose = forms.CharField(
        label="检查内容", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reporting_unit = forms.ModelChoiceField(
        label="检查市州", queryset=ReportingUnit.objects.none(), required=False, empty_label="（按社区确定）"
    )
    community = forms.ModelChoiceField(
        label="检查社区（省级试点等）", queryset=Community.objects.none(), required=False, empty_label="（不指定社区）"
    )
    starts_on = forms.DateField(label="开始日期", widget=DateInput())
    ends_on = forms.DateField(label="结束日期", widget=DateInput(), required=False)
    team = PersonChoiceField(label="检查组成员", queryset=User.objects.none())
    leader = forms.ModelChoiceField(
        label="组长", queryset=User.objects.none(), required=False, empty_label="（第一位成员）"
    )

    def __init__(self, *args, mechanism=None, pilot_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_unit"].queryset = ReportingUnit.objects.filter(mechanism=mechanism).order_by("order")
        # The choice of a community is bounded: the pilots (the joint meeting supervises them), not the ledger.
        self.fields["community"].queryset = (
            Community.objects.filter(pk__in=list(pilot_ids))
            .select_related("reporting_unit")
            .order_by("reporting_unit__order", "name")
        )
        self.fields["community"].label_from_instance = lambda c: f"{c.reporting_unit.name} {c.name}"
        people = (
            User.objects.filter(is_active=True, person__unit__mechanism=mechanism)
            .select_related("person__unit", "person__division")
            .order_by("person__unit__order", "pk")
        )
        self.fields["team"].queryset = people
        self.fields["leader"].queryset = people


class FindingForm(forms.Form):
    description = forms.CharField(label="问题描述", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    location = forms.CharField(label="具体位置", required=False, max_length=100)
    requirement = forms.CharField(
        label="整改要求", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = PhotosField(
        label="现场照片", required=False, widget=MultipleFileInput(attrs={"accept": upload_accept(), "multiple": True})
    )
    lead_unit = forms.ModelChoiceField(
        label="整改牵头单位", queryset=MemberUnit.objects.none(), required=False, empty_label="（由办公室交办）"
    )
    due_date = forms.DateField(label="整改时限", required=False, widget=DateInput())

    def __init__(self, *args, office=False, **kwargs):
        super().__init__(*args, **kwargs)
        if office:
            self.fields["lead_unit"].queryset = MemberUnit.objects.current().in_current_mechanism().order_by("order")
        else:
            del self.fields["lead_unit"], self.fields["due_date"]


class IssueForm(forms.Form):
    lead_unit = forms.ModelChoiceField(label="整改牵头单位", queryset=MemberUnit.objects.none())
    due_date = forms.DateField(label="整改时限", widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = MemberUnit.objects.current().in_current_mechanism().order_by("order")


class FinishForm(forms.Form):
    conclusion = forms.CharField(label="检查结论", max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
