"""How much text a person may type into one box.

Long enough for any honest note, short enough that a pasted megabyte is refused beside
the field instead of being stored, indexed and rendered on every page that shows it.
Models and forms take their limits from here, so the two agree.
"""

REASON_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 2000
FINDINGS_MAX_LENGTH = 4000
