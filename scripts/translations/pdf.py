"""UI text of the printed documents: the visit list (PDF and xlsx) and the hardship file card."""

ZH_HANS = {
    # every PDF
    "Page %(page)s of %(pages)s": "第 %(page)s 页，共 %(pages)s 页",
    "Printed %(printed_on)s": "打印日期：%(printed_on)s",
    # the visit list
    "%(campaign)s: visit list": "%(campaign)s走访慰问名单",
    "%(unit)s, households of %(helper)s": "%(unit)s · %(helper)s联系户",
    "Visit list": "走访慰问名单",
    "The visit list was not found.": "找不到该走访名单。",
    "The helper was not found.": "找不到该帮扶责任人。",
    "(continued)": "（续）",
    "%(households)s household": "%(households)s 户",
    "No households on this list.": "名单上没有困难职工户。",
    "No.": "序号",
    "Community": "社区（村）",
    "Household head": "户主姓名",
    "Date of visit": "走访日期",
    "Visitor's signature": "走访人签名",
    "Recipient's signature": "受访人签名",
    # the hardship file card
    "Hardship worker file": "困难职工档案表",
    "hardship file card": "困难职工档案表",
    "The file was not found.": "找不到该档案。",
    "On file since": "入档日期",
    "The notes continue on the file's page.": "备注未完，详见系统中的档案页面。",
    "I declare that the above is true and agree that the union checks it.": (
        "本人承诺以上情况属实，并同意工会核查。"
    ),
    "Applicant's signature": "申请人签字",
    "Union unit (seal)": "单位（盖章）",
    "Date:": "日期：",
    "ID numbers are masked on paper.": "纸质档案中的身份证号已隐去中间位。",
}
