"""The fixed lists a hardship file is kept with. English in code, Chinese through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FileStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    FIRST_REVIEWED = "first_reviewed", _("First review passed")
    VERIFIED = "verified", _("Home verification done")
    ON_FILE = "on_file", _("On file")
    EXITED = "exited", _("Out of hardship")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = (
    FileStatus.APPLIED,
    FileStatus.FIRST_REVIEWED,
    FileStatus.VERIFIED,
    FileStatus.ON_FILE,
)


class Category(models.TextChoices):
    DEEP = "deep", _("Deep hardship")
    RELATIVE = "relative", _("Relative hardship")
    ACCIDENT = "accident", _("Hardship by accident")
    NONE = "none", _("Not in hardship")


class ExitReason(models.TextChoices):
    INCOME_ABOVE_STANDARD = (
        "income_above",
        _("Income above the minimum living standard for six months"),
    )
    REEMPLOYED = "reemployed", _("Re-employed")
    GOVERNMENT_ASSISTANCE = "government", _("Entered government assistance")
    OTHER = "other", _("Other")


class CloseReason(models.TextChoices):
    DECEASED = "deceased", _("Deceased")
    MOVED = "moved", _("Moved away")
    DUPLICATE = "duplicate", _("Duplicate file")
    INELIGIBLE = "ineligible", _("Not eligible")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "cpc", _("Communist Party member")
    PROBATIONARY = "cpc_probationary", _("Probationary Party member")
    LEAGUE_MEMBER = "cyl", _("Communist Youth League member")
    DEMOCRATIC_PARTY = "democratic", _("Member of a democratic party")
    MASSES = "masses", _("Ordinary citizen")


class HukouType(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class MaritalStatus(models.TextChoices):
    UNMARRIED = "unmarried", _("Unmarried")
    MARRIED = "married", _("Married")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    CHRONIC = "chronic", _("Chronic illness")
    SERIOUS = "serious", _("Serious illness")
    DISABLED = "disabled", _("Disabled")


class Disability(models.TextChoices):
    NONE = "none", _("None")
    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing")
    SPEECH = "speech", _("Speech")
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    LAID_OFF = "laid_off", _("Laid off")
    UNEMPLOYED = "unemployed", _("Unemployed")
    RETIRED = "retired", _("Retired")
    FLEXIBLE = "flexible", _("Flexible employment")
    NEW_FORMS = "new_forms", _("New forms of employment")


class ModelWorkerLevel(models.TextChoices):
    NONE = "none", _("Not a model worker")
    CITY = "city", _("City level")
    PROVINCIAL = "provincial", _("Provincial or ministerial level")
    NATIONAL = "national", _("National level")


class EnterpriseSituation(models.TextChoices):
    NORMAL = "normal", _("Operating normally")
    DIFFICULT = "difficult", _("In difficulty")
    HALTED = "halted", _("Production halted or half-halted")
    RESTRUCTURED = "restructured", _("Restructured")
    BANKRUPT = "bankrupt", _("Bankrupt")
    CLOSED = "closed", _("Closed down")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    FATHER_IN_LAW = "father_in_law", _("Father-in-law")
    MOTHER_IN_LAW = "mother_in_law", _("Mother-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    OTHER = "other", _("Other relative")


class SchoolStage(models.TextChoices):
    NONE = "none", _("Not in school")
    PRIMARY = "primary", _("Primary school")
    MIDDLE = "middle", _("Middle school")
    HIGH = "high", _("High school")
    VOCATIONAL = "vocational", _("Vocational school")
    UNIVERSITY = "university", _("University")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class MemberEmployment(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    UNEMPLOYED = "unemployed", _("Unemployed")
    RETIRED = "retired", _("Retired")
    STUDENT = "student", _("Student")
    CHILD = "child", _("Pre-school child")
    UNABLE = "unable", _("Unable to work")
    FLEXIBLE = "flexible", _("Flexible employment")


class MedicalInsurance(models.TextChoices):
    EMPLOYEE = "employee", _("Employee medical insurance")
    RESIDENT = "resident", _("Urban and rural resident insurance")
    COMMERCIAL = "commercial", _("Commercial insurance only")
    NONE = "none", _("None")


class AttachmentKind(models.TextChoices):
    APPLICATION = "application", _("Application form")
    CONSENT = "consent", _("Consent to check finances")
    INCOME = "income", _("Income proof")
    MEDICAL = "medical", _("Diagnosis or medical bills")
    ADMISSION = "admission", _("School admission letter")
    OTHER = "other", _("Other")


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the receiving unit")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


# The 56 ethnic groups (GB 3304), in that standard's order.
ETHNIC_GROUPS = [
    ("01", _("Han")), ("02", _("Mongol")), ("03", _("Hui")), ("04", _("Tibetan")),
    ("05", _("Uyghur")), ("06", _("Miao")), ("07", _("Yi")), ("08", _("Zhuang")),
    ("09", _("Bouyei")), ("10", _("Korean")), ("11", _("Manchu")), ("12", _("Dong")),
    ("13", _("Yao")), ("14", _("Bai")), ("15", _("Tujia")), ("16", _("Hani")),
    ("17", _("Kazakh")), ("18", _("Dai")), ("19", _("Li")), ("20", _("Lisu")),
    ("21", _("Va")), ("22", _("She")), ("23", _("Gaoshan")), ("24", _("Lahu")),
    ("25", _("Shui")), ("26", _("Dongxiang")), ("27", _("Naxi")), ("28", _("Jingpo")),
    ("29", _("Kyrgyz")), ("30", _("Tu")), ("31", _("Daur")), ("32", _("Mulao")),
    ("33", _("Qiang")), ("34", _("Blang")), ("35", _("Salar")), ("36", _("Maonan")),
    ("37", _("Gelao")), ("38", _("Xibe")), ("39", _("Achang")), ("40", _("Pumi")),
    ("41", _("Tajik")), ("42", _("Nu")), ("43", _("Uzbek")), ("44", _("Russian")),
    ("45", _("Evenki")), ("46", _("De'ang")), ("47", _("Bonan")), ("48", _("Yugur")),
    ("49", _("Gin")), ("50", _("Tatar")), ("51", _("Derung")), ("52", _("Oroqen")),
    ("53", _("Hezhen")), ("54", _("Monba")), ("55", _("Lhoba")), ("56", _("Jino")),
]  # fmt: skip
