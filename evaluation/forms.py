from django import forms

from members.models import MemberUnit, ReportingUnit


class ComputeForm(forms.Form):
    year = forms.TypedChoiceField(label="考评年度", coerce=int, choices=())

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年") for y in years]


class AdjustForm(forms.Form):
    adjustment = forms.DecimalField(
        label="调整分（加分为正，减分为负）", max_digits=5, decimal_places=2, min_value=-20, max_value=20
    )
    reason = forms.CharField(label="调整理由", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class SendBackForm(forms.Form):
    reason = forms.CharField(label="退回理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class PracticeForm(forms.Form):
    title = forms.CharField(label="标题", max_length=100)
    member_unit = forms.ModelChoiceField(
        label="成员单位", queryset=MemberUnit.objects.none(), required=False, empty_label="（不选）"
    )
    reporting_unit = forms.ModelChoiceField(
        label="市州", queryset=ReportingUnit.objects.none(), required=False, empty_label="（不选）"
    )
    text = forms.CharField(label="主要做法", widget=forms.Textarea(attrs={"rows": 8}), max_length=5000)
    source_url = forms.CharField(label="来源链接（选填）", max_length=300, required=False)

    def __init__(self, *args, mechanism_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_unit"].queryset = MemberUnit.objects.filter(mechanism_id=mechanism_id).order_by(
            "order", "id"
        )
        self.fields["reporting_unit"].queryset = ReportingUnit.objects.filter(mechanism_id=mechanism_id).order_by(
            "order", "id"
        )
