from django import forms

from kestrel.forms import SchoolModelForm
from kestrel.incidents.models import Category


class CategoryForm(SchoolModelForm):
    class Meta:
        model = Category
        fields = ["name", "parent", "access_level", "position", "is_active"]
        labels = {"name": "Category name", "position": "Order in lists"}
        help_texts = {
            "parent": "Leave empty for a main category. Subcategories appear when their main "
            "category is chosen on an incident.",
            "access_level": "Staff below this level will not normally be able to view incidents "
            "in this category.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = self.fields["parent"].queryset.filter(parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = "None: this is a main category"
        self.fields["access_level"].empty_label = None
        self.fields["position"].govuk_width = 3
        self.fields["position"].required = False

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name for the category.")
        return name

    def clean_position(self):
        return self.cleaned_data.get("position") or 0

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        if parent and self.instance.pk and self.instance.subcategories.exists():
            self.add_error(
                "parent", "This category has subcategories of its own, so it must stay a main one."
            )
        return cleaned
