from datetime import date

from django import forms

from core.forms import DateInput
from core.uploads import upload_accept

from .models import Community, Renovation, validate_no_formula
from .scoring import Engine


class CommunityForm(forms.ModelForm):
    class Meta:
        model = Community
        fields = ["name", "county", "residents_committee", "old_estates", "renovation"]


class CommunityCreateForm(CommunityForm):
    reporting_unit = forms.ModelChoiceField(queryset=None, label="市州", empty_label=None)

    class Meta(CommunityForm.Meta):
        fields = ["reporting_unit", *CommunityForm.Meta.fields]

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_unit"].queryset = units

    def validate_unique(self):
        """The service checks duplicates (with a clearer message)."""


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NominationForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2020, max_value=2100)
    reason = forms.CharField(
        label="推荐理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), validators=[validate_no_formula]
    )


class PilotSelectionForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2020, max_value=2100)
    communities = forms.ModelMultipleChoiceField(queryset=None, label="试点社区", widget=forms.CheckboxSelectMultiple)
    decision = forms.CharField(
        label="决定依据", max_length=200, help_text="如：第X次联席会议纪要", validators=[validate_no_formula]
    )
    decided_on = forms.DateField(label="会议日期", initial=date.today, widget=DateInput())

    def __init__(self, *args, nominated, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communities"].queryset = nominated


class EvidenceForm(forms.Form):
    file = forms.FileField(label="证明材料", widget=forms.ClearableFileInput(attrs={"accept": upload_accept()}))
    item_no = forms.IntegerField(label="对应条目", min_value=1, max_value=17, required=False)


def assessment_form_class(engine: Engine):
    """A form with one field per fact the standard asks for."""
    fields = {}
    for f in engine.fields():
        common = {"label": f.label, "help_text": f.help_text}
        if f.kind == "bool":
            fields[f.key] = forms.BooleanField(required=False, **common)
        elif f.kind == "int":
            fields[f.key] = forms.IntegerField(
                required=f.required,
                min_value=f.min_value,
                max_value=f.max_value,
                initial=None if f.required else 0,
                **common,
            )
        elif f.kind == "percent":
            fields[f.key] = forms.DecimalField(
                required=f.required, min_value=0, max_value=100, max_digits=5, decimal_places=2, **common
            )
        elif f.kind == "choice":
            fields[f.key] = forms.ChoiceField(required=f.required, choices=[("", "请选择"), *f.choices], **common)
        fields[f.key].item_no = f.item_no
    return type("AssessmentForm", (forms.Form,), fields)


RENOVATION_BY_LABEL = {str(label): value for value, label in Renovation.choices}


class PilotSupportForm(forms.Form):
    kind = forms.ChoiceField(label="支持类别", choices=[("policy", "政策支持"), ("funds", "资金支持")])
    title = forms.CharField(label="支持内容", max_length=200, validators=[validate_no_formula])
    amount = forms.DecimalField(label="金额（万元）", required=False, max_digits=12, decimal_places=2, min_value=0)
    given_on = forms.DateField(label="日期", widget=DateInput())
    document = forms.CharField(
        label="依据文件（名称或文号）", required=False, max_length=200, validators=[validate_no_formula]
    )
    file = forms.FileField(
        label="文件", required=False, widget=forms.ClearableFileInput(attrs={"accept": upload_accept()})
    )
