"""Forms of the import pages: upload, column mapping, duplicate policy."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funia.imports import registry
from funia.imports.models import ImportJob


class UploadForm(forms.Form):
    target = forms.ChoiceField(label=_("Import as"))
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (any delimiter and encoding), XLSX or vCard (.vcf); at most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.vcf,.vcard"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(t.key, t.label) for t in registry.all_targets()]


class MappingForm(forms.Form):
    """One select per column of the file, preselected with the saved (guessed) mapping."""

    def __init__(self, *args, job: ImportJob, tenant, samples: dict[str, list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        target = registry.get(job.target)
        choices = [("", _("— leave out —"))] + [(f.key, f.label) for f in target.fields(tenant)]
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=job.mapping.get(header, ""),
            )
            self.columns.append((header, self[name], samples.get(header, [])))

    def mapping(self, job: ImportJob) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"column_{index}") or ""
            for index, header in enumerate(job.headers)
        }


class StartForm(forms.Form):
    on_duplicate = forms.ChoiceField(
        label=_("When a row matches an existing record"),
        choices=ImportJob.OnDuplicate.choices,
        initial=ImportJob.OnDuplicate.SKIP,
        widget=forms.RadioSelect,
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check every row and count, but write nothing"), required=False
    )
