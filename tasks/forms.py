from django import forms

from core.forms import DateInput
from members.models import MemberUnit, WorkLine

from .models import Item

DATE = DateInput()


class UnitChoice(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class ItemForm(forms.Form):
    """交办督办事项. The lead units are ordered: the 主牵头单位 first, then any 共同牵头单位."""

    title = forms.CharField(label="标题", max_length=120)
    content = forms.CharField(label="事项内容", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    source = forms.ChoiceField(label="来源", choices=Item.Source.choices)
    work_line = forms.ModelChoiceField(
        label="工作方案分工", queryset=WorkLine.objects.none(), required=False, empty_label="（不适用）"
    )
    source_note = forms.CharField(label="来源说明", max_length=200, required=False, help_text="如会议名称、批示文号。")
    primary_lead = forms.ModelChoiceField(label="主牵头单位", queryset=MemberUnit.objects.none(), empty_label="请选择")
    co_leads = UnitChoice(label="共同牵头单位", queryset=MemberUnit.objects.none(), required=False)
    participating = UnitChoice(label="配合单位", queryset=MemberUnit.objects.none(), required=False)
    due_date = forms.DateField(label="办理时限", widget=DATE)
    contribution_due_date = forms.DateField(
        label="配合单位反馈时限", widget=DATE, required=False, help_text="不填则为办理时限前 2 个工作日。"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = MemberUnit.objects.current().in_current_mechanism().order_by("order", "pk")
        for name in ("primary_lead", "co_leads", "participating"):
            self.fields[name].queryset = units
        self.fields["primary_lead"].label_from_instance = lambda u: u.name
        self.fields["work_line"].queryset = WorkLine.objects.in_current_mechanism().order_by("order", "pk")

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        leads = [d["primary_lead"], *[u for u in d["co_leads"] if u != d["primary_lead"]]]
        return {
            "title": d["title"],
            "content": d["content"],
            "source": d["source"],
            "work_line": d["work_line"],
            "source_note": d["source_note"],
            "lead_units": leads,
            "participating_units": list(d["participating"]),
            "due_date": d["due_date"],
            "contribution_due_date": d["contribution_due_date"],
        }

    @staticmethod
    def initial_from_work_line(line: WorkLine) -> dict:
        leads = line.lead_units
        return {
            "source": Item.Source.WORK_LINE,
            "work_line": line.pk,
            "title": line.title,
            "content": line.content,
            "primary_lead": leads[0].pk if leads else None,
            "co_leads": [u.pk for u in leads[1:]],
            "participating": [u.pk for u in line.participating_units],
        }
