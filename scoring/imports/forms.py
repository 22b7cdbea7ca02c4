"""Forms of the imports: the file, the columns, and the buttons that start a job."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from ..csvfiles import column_letter
from ..forms import AppForm, choices

NOT_IMPORTED = _l("— not imported —")


class UploadForm(AppForm):
    file = FileField(
        _l("The file"), validators=[FileRequired(message=_l("Choose the file to import."))]
    )


class ActionForm(AppForm):
    """A button that starts or ends something (the CSRF token is all it carries)."""


class MappingForm(AppForm):
    """One select per column of the file: which of our columns it holds, if any."""

    def chosen(self) -> list[str | None]:
        return [f.data or None for f in self.column_fields()]

    def column_fields(self) -> list[SelectField]:
        return [f for f in self if f.name.startswith("column_")]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        seen: dict[str, str] = {}
        for f in self.column_fields():
            known = {c.value for c in f.choices}
            if f.data not in known:
                f.errors.append(_l("Choose one of the options."))
                valid = False
            elif f.data and f.data in seen:
                f.errors.append(  # a str: the heading in it is escaped (a lazy one is not)
                    _(
                        "This column of ours is already chosen for the file’s column %(other)s.",
                        other=seen[f.data],
                    )
                )
                valid = False
            elif f.data:
                seen[f.data] = f.label.text
        return valid


def mapping_form(header: list[str], ours: list[str], label, proposal, lines) -> MappingForm:
    """The mapping form of a file with the headings ``header``, ``proposal`` preselected;
    each column shows its first value among the ``lines`` of the preview."""

    class Form(MappingForm):
        pass

    options = choices([("", NOT_IMPORTED), *((name, label(name)) for name in ours)])
    for index, heading in enumerate(header):
        title = f"{column_letter(index)} «{heading}»" if heading else column_letter(index)
        example = next((cells[index] for cells in lines if index < len(cells) and cells[index]), "")
        field = SelectField(
            title,
            choices=options,
            default=proposal[index] or "",
            validate_choice=False,
            # a str, not a lazy string: Jinja takes a lazy one as markup and would not
            # escape the file's cell in it
            description=_("For example: «%(value)s»", value=example[:80]) if example else "",
        )
        setattr(Form, f"column_{index}", field)
    return Form()
