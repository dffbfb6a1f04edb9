"""UI text of the spreadsheet import: pages, the job's states, and the problems a dry run reports."""

ZH_HANS = {
    # pages
    "Import from a spreadsheet": "从表格导入",
    "Open a hardship file for every row of an Excel spreadsheet. Every row is checked first and nothing is written until you confirm; if any row has a problem, nothing is imported.": (
        "为 Excel 表格中的每一行建立一份困难职工档案。先逐行校验，您确认之前不写入任何数据；只要有一行有问题，就一行也不导入。"
    ),
    "1. Fill in the template": "1. 填写模板",
    "One row is one household: the worker and up to three household members. The second sheet lists the values each coded column accepts. Your own spreadsheet will do too: you match its columns in the next step.": (
        "每行为一户：职工本人及最多三名家庭成员。第二个工作表列出了各编码列的可选值。也可以直接用您自己的表格，下一步再对应各列。"
    ),
    "Download the template (.xlsx)": "下载模板（.xlsx）",
    "2. Upload it": "2. 上传表格",
    "Upload and match columns": "上传并对应列",
    "Your recent imports": "您最近的导入",
    "Rows": "行数",
    "You have not imported a spreadsheet yet.": "您还没有导入过表格。",
    "Match the columns": "对应列",
    "Import steps": "导入步骤",
    "%(count)s rows": "%(count)s 行",
    "Files go to": "建档单位",
    "For each column of your spreadsheet, choose the field it holds. Columns recognised by their header are already chosen; columns left as “Not imported” are ignored.": (
        "请为表格的每一列选择它对应的字段。能按表头识别的列已自动选好；选为“不导入”的列将被忽略。"
    ),
    "Missing columns": "缺少列",
    "Check every row": "逐行校验",
    "Checking writes nothing. You will see every row with a problem, or be asked to confirm the import.": (
        "校验不写入任何数据。之后您会看到每一个有问题的行，或被请求确认导入。"
    ),
    "Importing. Every row is saved in one go, or none is.": "正在导入。所有行一次保存：要么全部保存，要么一行也不保存。",
    "Checking every row. Nothing is written.": "正在逐行校验，不写入任何数据。",
    "This page refreshes itself every two seconds.": "本页每两秒自动刷新。",
    "Refresh now": "立即刷新",
    "%(count)s hardship files were opened for %(unit)s, each as an application waiting for its first review.": (
        "已为%(unit)s建立 %(count)s 份困难职工档案，均为待初审的申请。"
    ),
    "Nothing was imported.": "未导入任何数据。",
    "All %(count)s rows passed the check.": "全部 %(count)s 行均已通过校验。",
    "Import %(count)s rows": "导入 %(count)s 行",
    "%(bad)s of %(count)s rows have problems. Correct them in your spreadsheet and upload it again: a spreadsheet with any problem cannot be imported.": (
        "%(count)s 行中有 %(bad)s 行有问题。请在表格中改正后重新上传：有任何问题的表格都不能导入。"
    ),
    "Change the column matching": "修改列对应关系",
    "Problems found": "发现的问题",
    "Row": "行号",
    "Column": "列",
    "Problem": "问题",
    # forms
    "Spreadsheet": "表格文件",
    "Unit the files go to": "建档单位",
    "An Excel workbook (.xlsx) of at most %(limit)s MB. The first sheet is read; its first filled-in row holds the headers.": (
        "Excel 工作簿（.xlsx），不超过 %(limit)s MB。读取第一个工作表，其中第一个有内容的行为表头。"
    ),
    "Not imported": "不导入",
    "“%(field)s” is chosen for more than one column.": "“%(field)s”被选给了不止一列。",
    "Member %(number)s: %(field)s": "成员%(number)s：%(field)s",
    # the job row (ImportBatch)
    "spreadsheet import": "表格导入",
    "spreadsheet imports": "表格导入",
    "spreadsheet": "表格文件",
    "unit the files go to": "建档单位",
    "language of the report": "报告语言",
    "column headers": "表头",
    "column matching": "列对应关系",
    "rows": "行数",
    "rows with problems": "有问题的行数",
    "files opened": "已建档数",
    "problems found": "发现的问题",
    "error": "错误",
    "checked": "校验时间",
    "import confirmed": "确认导入时间",
    "finished": "完成时间",
    "Columns to be matched": "待对应列",
    "Waiting to be checked": "等待校验",
    "Being checked": "正在校验",
    "Checked": "已校验",
    "Being imported": "正在导入",
    "Imported": "已导入",
    "Failed": "失败",
    # the file as a whole
    "Choose an Excel workbook saved as .xlsx (Excel 2007 or later).": "请选择保存为 .xlsx 格式的 Excel 工作簿（Excel 2007 及以上版本）。",
    "The file is %(size)s MB; at most %(limit)s MB can be imported at once: split it.": (
        "该文件 %(size)s MB，每次最多导入 %(limit)s MB，请拆分后再导入。"
    ),
    "This file is not an .xlsx workbook, whatever its name says. Save it as .xlsx in Excel and try again.": (
        "无论文件名如何，该文件的内容都不是 .xlsx 工作簿。请在 Excel 中另存为 .xlsx 后重试。"
    ),
    "This file could not be read as an Excel workbook. Save it as .xlsx and try again.": (
        "无法把该文件读取为 Excel 工作簿。请另存为 .xlsx 后重试。"
    ),
    "This workbook is too large once unpacked. Keep only the sheet to import, or split it.": (
        "该工作簿解压后过大。请只保留要导入的工作表，或拆分后再导入。"
    ),
    "A sheet of this workbook reaches cell %(cell)s, far beyond any data. Delete the empty rows and columns after your data and upload it again.": (
        "该工作簿有工作表一直用到单元格 %(cell)s，远超出数据范围。请删除数据之后的空行和空列，再重新上传。"
    ),
    "The workbook has no worksheet.": "该工作簿中没有工作表。",
    "The sheet “%(sheet)s” has merged cells (%(cells)s). Unmerge them and fill in every cell, then upload the file again.": (
        "工作表“%(sheet)s”中有合并单元格（%(cells)s）。请取消合并并填写每个单元格，然后重新上传。"
    ),
    "The sheet “%(sheet)s” is empty.": "工作表“%(sheet)s”是空的。",
    "The header “%(header)s” appears twice (cells %(first)s and %(second)s): rename one.": (
        "表头“%(header)s”出现了两次（单元格 %(first)s 和 %(second)s），请修改其中一个。"
    ),
    "There are no rows below the header row.": "表头下面没有数据行。",
    "The sheet has %(count)s rows; at most %(limit)s can be imported at once: split it.": (
        "该工作表有 %(count)s 行，每次最多导入 %(limit)s 行，请拆分后再导入。"
    ),
    "Missing columns: %(columns)s.": "缺少列：%(columns)s。",
    "Each column can hold one field only.": "每一列只能对应一个字段。",
    # the job's steps
    "This import is past the point where its columns can be changed.": "该导入已进入后续步骤，不能再修改列对应关系。",
    "Only a checked spreadsheet without problems can be imported, and only once.": (
        "只有校验通过、没有任何问题的表格才能导入，且只能导入一次。"
    ),
    "Only the person who uploaded a spreadsheet may import it.": "只有上传表格的人才能导入。",
    "The stored spreadsheet has changed since it was uploaded.": "保存的表格自上传以来已被改动。",
    "Nothing was imported: a row was refused when it came to be saved.": "未导入任何数据：保存时有一行未通过。",
    "Something went wrong on our side; nothing was imported. Try again later.": "系统出错，未导入任何数据。请稍后重试。",
    # one cell
    "This cell must be filled in.": "此项必填。",
    "This cell must be filled in for a household member.": "填写家庭成员时，此项必填。",
    "Enter the birth date or the ID number.": "请填写出生日期或身份证号。",
    "Enter an amount in yuan, e.g. 18000 or 1234.56.": "请以元为单位填写金额，例如 18000 或 1234.56。",
    "An amount cannot be negative.": "金额不能为负数。",
    "%(amount)s yuan is too large for a household: check for a typing error.": (
        "%(amount)s 元对一户家庭来说过大，请检查是否输错。"
    ),
    "%(amount)s has more than two decimal places: amounts are in yuan and fen.": (
        "%(amount)s 的小数超过两位：金额以元为单位，精确到分。"
    ),
    "Enter a whole number, e.g. 3.": "请填写整数，例如 3。",
    "A household has between 1 and 30 people.": "家庭人口应在 1 到 30 人之间。",
    "Enter a date as an Excel date or as YYYY-MM-DD, e.g. 2010-09-01.": (
        "请填写 Excel 日期，或按“年-月-日”格式填写，例如 2010-09-01。"
    ),
    "Enter 是 (yes) or 否 (no).": "请填写“是”或“否”。",
    "“%(value)s” is not an allowed value. Allowed: %(allowed)s.": "“%(value)s”不是允许的值。可选值：%(allowed)s。",
    "“%(value)s” is not an allowed value: the sheet “%(sheet)s” of the template lists them.": (
        "“%(value)s”不是允许的值：模板的“%(sheet)s”工作表列出了所有可选值。"
    ),
    "This ID number is stored as a number, which loses its last digits: format the column as text and type the number again.": (
        "该身份证号以数字格式保存，末几位已经丢失：请把该列设为文本格式，再重新输入号码。"
    ),
    "This is the template's example row: delete it.": "这是模板中的示例行，请删除。",
    "This ID number is listed twice in this row.": "该身份证号在本行中出现了两次。",
    "This ID number is also in row %(row)s.": "该身份证号在第 %(row)s 行也出现了。",
}
