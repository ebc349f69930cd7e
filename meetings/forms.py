"""Forms parse and check the shape of input; the services check the rules."""

from django import forms
from django.forms import formset_factory

from core.forms import DateInput, DateTimeLocalInput
from members.models import MemberUnit, Person, RoleAssignment

from .models import Guest


class UnitChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class ProposeForm(forms.Form):
    unit = forms.ChoiceField(label="提议单位")
    title = forms.CharField(label="会议名称", max_length=100)
    topics = forms.CharField(label="议题（每行一项）", widget=forms.Textarea(attrs={"rows": 4}), max_length=3000)
    reasons = forms.CharField(label="提议理由", widget=forms.Textarea(attrs={"rows": 3}), max_length=3000)

    def __init__(self, *args, units=(), office=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "联席会议办公室")] if office else []
        choices += [(str(u.pk), u.name) for u in units]
        self.fields["unit"].choices = choices
        self.fields["unit"].required = not office


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label="审批意见", choices=[("approve", "同意召开"), ("decline", "不同意")])
    note = forms.CharField(label="意见说明", required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ScheduleForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="会议时间", widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    place = forms.CharField(label="会议地点", max_length=100)
    chair = forms.ChoiceField(label="主持人（召集人，或受召集人委托的副召集人）")
    chair_delegation = forms.CharField(
        label="召集人委托（副召集人主持时填写：委托方式、日期或文号）", required=False, max_length=200
    )
    units = UnitChoiceField(label="参会成员单位", queryset=MemberUnit.objects.none())
    invited_units = forms.CharField(
        label="列席单位（每行一个）", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    experts = forms.CharField(
        label="特邀专家（每行：姓名，单位/职务，电子邮箱(可空)）",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, chairs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = MemberUnit.objects.current().in_current_mechanism()
        self.chairs = {str(p.pk): p for p, _label in chairs}
        self.fields["chair"].choices = [("", "请选择")] + [(str(p.pk), f"{p.name}（{label}）") for p, label in chairs]

    def chair_person(self):
        return self.chairs.get(self.cleaned_data["chair"])

    def guests(self):
        rows = []
        for line in self.cleaned_data["invited_units"].splitlines():
            if line.strip():
                rows.append({"kind": Guest.Kind.UNIT, "name": line.strip()})
        for line in self.cleaned_data["experts"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace(",", "，").split("，")]
            rows.append(
                {
                    "kind": Guest.Kind.EXPERT,
                    "name": parts[0],
                    "organisation": parts[1] if len(parts) > 1 else "",
                    "email": parts[2] if len(parts) > 2 else "",
                }
            )
        return rows


class MatterForm(forms.Form):
    content = forms.CharField(
        label="议定内容", required=False, max_length=3000, widget=forms.Textarea(attrs={"rows": 2})
    )
    done_criteria = forms.CharField(label="完成标准", required=False, max_length=500)
    due_date = forms.DateField(label="完成时限", required=False, widget=DateInput())
    lead_units = UnitChoiceField(label="牵头单位", queryset=MemberUnit.objects.none(), required=False)
    participating_units = UnitChoiceField(label="参与单位", queryset=MemberUnit.objects.none(), required=False)
    is_major = forms.BooleanField(label="重大事项（报省委、省政府）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = MemberUnit.objects.current().in_current_mechanism()
        self.fields["lead_units"].queryset = units
        self.fields["participating_units"].queryset = units

    def is_blank(self):
        d = self.cleaned_data
        return not (d.get("content") or d.get("done_criteria") or d.get("due_date") or d.get("lead_units"))


# absolute_max: a posted TOTAL_FORMS beyond it builds no more forms (Django's default, max_num + 1000, let
# one forged request build and render a thousand forms, about 25 s of a worker).
MatterFormSet = formset_factory(MatterForm, extra=2, max_num=30, validate_max=True, absolute_max=30)


class MinutesForm(forms.Form):
    doc_number = forms.CharField(label="文号", required=False, max_length=60)
    title = forms.CharField(label="标题", max_length=100)
    summary = forms.CharField(
        label="会议概述", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label="意见", choices=[("agree", "同意"), ("changes", "提出修改意见")])
    comment = forms.CharField(
        label="修改意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class IssueForm(forms.Form):
    doc_number = forms.CharField(label="文号", max_length=60)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReplaceForm(forms.Form):
    assignment = forms.ModelChoiceField(label="调整的职务", queryset=RoleAssignment.objects.none())
    new_person = forms.ModelChoiceField(
        label="新任人员（本单位已有人员）", queryset=Person.objects.none(), required=False
    )
    new_person_name = forms.CharField(label="或填写新任人员姓名", required=False, max_length=30)
    new_person_title = forms.CharField(label="新任人员职务", required=False, max_length=60)
    effective_date = forms.DateField(label="生效日期", widget=DateInput())
    reason = forms.CharField(label="调整理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, assignments=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = assignments
        self.fields["assignment"].label_from_instance = lambda a: (
            f"{a.unit.name} {a.get_role_display()} {a.person.name}"
        )
        self.fields["new_person"].queryset = people


class UnitAddForm(forms.Form):
    name = forms.CharField(label="单位名称", max_length=60)
    code = forms.SlugField(label="单位代码（英文）", max_length=32)
    full_name = forms.CharField(label="全称", required=False, max_length=100)
    divisions = forms.CharField(label="处室（每行一个）", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
    member_name = forms.CharField(label="成员姓名", max_length=30)
    member_title = forms.CharField(label="成员职务", required=False, max_length=60)
    liaison_name = forms.CharField(label="联络员姓名", max_length=30)
    liaison_title = forms.CharField(label="联络员职务", required=False, max_length=60)
    effective_date = forms.DateField(label="生效日期", widget=DateInput())
    reason = forms.CharField(label="增补理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class BackupForm(forms.Form):
    liaison = forms.ModelChoiceField(label="请假的联络员（A角）", queryset=RoleAssignment.objects.none())
    backup = forms.ModelChoiceField(label="B角", queryset=Person.objects.none())
    start_date = forms.DateField(label="开始日期", widget=DateInput())
    end_date = forms.DateField(label="结束日期（当日起A角恢复）", widget=DateInput())
    reason = forms.CharField(label="请假事由", max_length=200)

    def __init__(self, *args, liaisons=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["liaison"].queryset = liaisons
        self.fields["liaison"].label_from_instance = lambda a: f"{a.unit.name} {a.person.name}"
        self.fields["backup"].queryset = people


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("yes", "同意"), ("no", "不同意")])
    note = forms.CharField(label="意见", required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AgendaForm(forms.Form):
    unit = forms.ChoiceField(label="提出单位")
    topic = forms.CharField(label="建议议题", max_length=200)
    note = forms.CharField(label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units=(), office=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "联席会议办公室")] if office else []
        self.fields["unit"].choices = choices + [(str(u.pk), u.name) for u in units]
        self.fields["unit"].required = not office


class RaiseForm(AgendaForm):
    topic = None
    title = forms.CharField(label="重大事项", max_length=100)
    description = forms.CharField(
        label="事项说明（需报告省委、省政府的理由）", max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    note = None
