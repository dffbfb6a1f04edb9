"""Import hardship files from the spreadsheets unions keep today (Excel .xlsx).

The steps: upload → match columns → dry run (every row checked, nothing
written) → the caseworker confirms → import (one transaction, every row at once
through ``hardship_files_open``, the form's rules for a whole set, so a failure
anywhere writes nothing). The dry run and
the import are jobs of the one job mechanism (documents/services.py): an
``ImportBatch`` row carries the import's state and a link to its current job.

- ``columns``: the columns we read, and matching a spreadsheet's headers to them;
- ``reading``: the upload's pre-checks and reading a workbook (python-calamine);
- ``checking``: reading and checking every row (``RowChecker``), the problems report;
- ``template``: the template workbook offered for download;
- ``services``: the steps above as services, the two jobs' producers, the clean-up.

One row is one household: the worker and up to ``MEMBER_SLOTS`` household
members. Column headers and sheet names are fixed Chinese words, not
translations: they are the exchange format of the unions' own spreadsheets and
must read the same whatever language the screen is in. Everything a person reads
about them (field labels, problems found) goes through gettext.

National ID numbers never leave this package in a message: the report shows
them masked, and no log line or job parameter carries one.
"""
