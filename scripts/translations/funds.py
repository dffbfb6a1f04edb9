"""UI text of the funds: the ledger, receipts, allocations, budgets, payments and their rules."""

ZH_HANS = {
    # kinds of fund, sources, purposes
    "Sending-warmth fund": "送温暖资金",
    "Hardship help fund": "帮扶资金",
    "Autumn schooling fund": "金秋助学资金",
    "Other fund": "其他资金",
    "Allocation from the higher union": "上级拨付",
    "Government funding": "财政资金",
    "Social donation": "社会捐赠",
    "Workers' one-day donation": "职工一日捐",
    "The unit's own funds": "本级自有资金",
    "Employer contribution": "企业（行政）出资",
    "Visit money": "慰问金",
    "Goods (at their value)": "慰问品（折价）",
    "Living aid": "生活救助",
    "Medical aid": "医疗救助",
    "Schooling grant": "助学金",
    "Special relief": "专项救助",
    # ledger accounts and transactions
    "Available": "可用余额",
    "Reserved for approved payments": "已审批待发放",
    "Received": "收入",
    "Paid out": "已发放",
    "Allocated down": "下拨",
    "Receipt": "收入登记",
    "Allocation down": "下拨",
    "Reservation on approval": "审批占用",
    "Release of a reservation": "释放占用",
    "Payment": "发放",
    "Reversal": "冲正",
    # payment states and methods
    "Proposed": "已申报",
    "Approved": "已审批",
    "Paid": "已发放",
    "Rejected": "已驳回",
    "Cash against the roster signature": "现金（花名册签领）",
    "Bank transfer": "银行转账",
    "Waiting for approval": "待审批",
    # ledger messages
    "There is not enough money in the fund for this.": "资金可用余额不足。",
    "A reversal cannot itself be reversed; record the movement again.": (
        "冲正记录不能再冲正；如需恢复，请重新登记该笔资金。"
    ),
    "This movement has been reversed already.": "该笔资金已冲正过。",
    # model fields
    "kind of fund": "资金类别",
    "A fund no longer in use takes no new payments.": "停用的资金不再用于新的发放。",
    "fund": "资金",
    "funds": "资金",
    "kind of account": "科目类别",
    "source": "来源",
    "balance": "余额",
    "ledger account": "账户科目",
    "ledger accounts": "账户科目",
    "The fund the movement was made from or into (for listing).": "资金变动所属的资金（用于列表）。",
    "posted": "记账时间",
    "memo": "摘要",
    "reverses": "冲正对象",
    "ledger transaction": "记账凭证",
    "ledger transactions": "记账凭证",
    "amount": "金额",
    "ledger entry": "分录",
    "ledger entries": "分录",
    "received on": "到账日期",
    "donor": "捐赠方",
    "Who gave it (for donations).": "捐赠单位或个人（社会捐赠时填写）。",
    "document number": "凭证号",
    "Voucher or bank slip.": "收款凭证或银行回单号。",
    "receipt": "收入",
    "receipts": "收入",
    "from fund": "拨出资金",
    "to fund": "拨入资金",
    "allocated on": "下拨日期",
    "allocated by": "下拨人",
    "receipt confirmed by": "确认到账人",
    "receipt confirmed": "确认到账时间",
    "allocation": "下拨",
    "allocations": "下拨",
    "split from": "分解自",
    "budget (yuan)": "预算（元）",
    "committed (yuan)": "已占用（元）",
    "budget": "预算",
    "budgets": "预算",
    "at most per payment (yuan)": "单次上限（元）",
    "at most per household a year (yuan)": "每户每年上限（元）",
    "an approver may override": "审批人可突破",
    "An approver may approve a payment above these caps, giving a reason.": (
        "审批人说明理由后，可批准超过上限的发放。"
    ),
    "aid rule": "帮扶标准规则",
    "aid rules": "帮扶标准规则",
    "grant (yuan)": "助学金（元）",
    "schooling standard": "助学标准",
    "schooling standards": "助学标准",
    "left out": "未纳入",
    "proposed by": "申报人",
    "proposed": "申报时间",
    "batch of payments": "批量发放",
    "batches of payments": "批量发放",
    "year of aid": "帮扶年度",
    "what it is for": "发放内容",
    "Goods, care card, …": "慰问品、爱心卡等",
    "batch": "批次",
    "student": "学生",
    "out-of-pocket medical cost (yuan)": "个人自付医疗费用（元）",
    "rules broken": "突破的规则",
    "reason for the override": "突破理由",
    "paid by": "发放人",
    "paid": "发放时间",
    "bank reference": "银行流水号",
    "rejected or cancelled by": "驳回或撤销人",
    "rejected or cancelled": "驳回或撤销时间",
    "signature checked": "签领核对时间",
    "signature checked by": "签领核对人",
    "disbursement": "发放",
    "disbursements": "发放",
    "scan": "扫描件",
    "signed roster scan": "签领花名册扫描件",
    "signed roster scans": "签领花名册扫描件",
    # the rules a payment keeps
    "Only households on file receive aid; this file is “%(status)s”.": (
        "先建档、后帮扶：只有在档困难职工户可以发放，该档案状态为“%(status)s”。"
    ),
    "This household has visit money in this campaign already.": "该户在本次活动中已有慰问金。",
    "At most %(cap)s yuan may be paid at a time for %(purpose)s.": (
        "%(purpose)s单次最多发放 %(cap)s 元。"
    ),
    "A household may receive at most %(cap)s yuan of %(purpose)s a year; "
    "it has %(before)s yuan in %(year)s already.": (
        "每户每年%(purpose)s最多 %(cap)s 元；该户 %(year)s 年已有 %(before)s 元。"
    ),
    "Medical aid may not exceed the out-of-pocket cost entered.": "医疗救助不得超过填写的个人自付费用。",
    "Enter the out-of-pocket medical cost: medical aid may not exceed it.": (
        "请填写个人自付医疗费用：医疗救助不得超过该金额。"
    ),
    "No minimum living standard is known for this household's division in %(year)s: "
    "an administrator must enter it before living aid is paid.": (
        "系统中没有该户所在地区 %(year)s 年的低保标准，请管理员录入后再发放生活救助。"
    ),
    "Living aid may reach at most the local minimum living standard for the household, "
    "%(limit)s yuan in %(year)s; it has %(before)s yuan already.": (
        "生活救助最多达到当地低保标准，该户 %(year)s 年为 %(limit)s 元；已有 %(before)s 元。"
    ),
    "Choose the student, a member of this household, for a schooling grant.": (
        "请选择受助学生（须为该户家庭成员）。"
    ),
    "The campaign sets no schooling grant for “%(stage)s”.": "本次活动未设定“%(stage)s”的助学标准。",
    "The campaign's grant for “%(stage)s” is %(amount)s yuan.": (
        "本次活动“%(stage)s”的助学标准为 %(amount)s 元。"
    ),
    "This student has a schooling grant in %(year)s already (on this or another file).": (
        "该学生 %(year)s 年已获助学金（本档案或其他档案）。"
    ),
    # amounts
    "Enter an amount in yuan, such as 1000 or 1000.50.": "请输入以元为单位的金额，如 1000 或 1000.50。",
    "The amount must be more than zero.": "金额必须大于零。",
    "Amounts are in yuan and fen: at most two decimal places.": "金额以元为单位，最多两位小数。",
    "An amount above %(largest)s yuan is not accepted.": "金额不能超过 %(largest)s 元。",
    # funds, receipts, allocations
    "This fund is not in your unit's branch.": "该资金不属于本单位及下级单位。",
    "This fund is no longer in use.": "该资金已停用。",
    "This unit is not in your branch.": "该单位不属于本单位及下级单位。",
    "This unit has a fund of that name already.": "该单位已有同名资金。",
    "Money from the higher union arrives as its allocation, not a receipt.": (
        "上级拨付的资金由上级下拨后自动到账，无需登记收入。"
    ),
    "Name the donor of a donation.": "社会捐赠请填写捐赠方。",
    "Money cannot be received in the future.": "到账日期不能晚于今天。",
    "Money is allocated to a fund of a unit directly below.": "只能下拨到直属下级单位的资金。",
    "Money cannot be allocated in the future.": "下拨日期不能晚于今天。",
    "Allocated to %(unit)s": "下拨至%(unit)s",
    "Its receipt has been confirmed already.": "已确认到账。",
    "This allocation has been reversed: nothing arrived to confirm.": "该笔下拨已冲正，无需确认到账。",
    "Say why the movement is reversed.": "请说明冲正原因。",
    "Reservations and payments are corrected on their payment, by cancelling it.": (
        "审批占用和发放请在发放记录上撤销更正。"
    ),
    # budgets
    "A budget is spent in the branch of the fund's unit.": "预算只能用于资金所属单位及其下级。",
    "The unit is not covered by this campaign.": "该单位不在本次活动范围内。",
    "%(committed)s yuan of this budget is committed already.": "该预算已占用 %(committed)s 元。",
    "This budget is not in your unit's branch.": "该预算不属于本单位及下级单位。",
    "A budget is split among the units directly below.": "预算只能分解给直属下级单位。",
    "This unit has a budget from this fund already.": "该单位已有这笔资金的预算。",
    "The budget of %(unit)s for this campaign does not cover this.": (
        "%(unit)s本次活动的预算余额不足。"
    ),
    "The campaign's budget from this fund does not cover %(unit)s.": (
        "本次活动这笔资金的预算未覆盖%(unit)s。"
    ),
    # payments
    "This fund cannot pay households of this unit.": "该资金不能发放给这个单位的困难职工户。",
    "The household is not covered by this campaign.": "该户不在本次活动范围内。",
    "The visit is not this household's.": "该走访记录不属于这一户。",
    "Name the goods handed over.": "请填写发放的慰问品。",
    "This cannot be done to a payment that is “%(status)s”.": "状态为“%(status)s”的发放不能进行此操作。",
    "This payment is not in your unit's branch.": "该发放不属于本单位及下级单位。",
    "A payment is approved by someone other than who proposed it.": "发放须由申报人以外的人审批。",
    "Say why the payment is rejected.": "请说明驳回原因。",
    "Say why the payment is cancelled.": "请说明撤销原因。",
    "Only its proposer or an approver may cancel a payment.": "只有申报人或审批人可以撤销发放。",
    "Choose how it was paid.": "请选择发放方式。",
    "This form has been used already; open it again.": "该表单已提交过，请重新打开。",
    "Enter the bank's reference for a transfer.": "银行转账请填写银行流水号。",
    # bulk payments
    "The file is no longer on record.": "该档案已不在档。",
    "The campaign sets no standard for the household's category.": "本次活动未设定该户类别的慰问标准。",
    "The household has visit money in this campaign already.": "该户在本次活动中已有慰问金。",
    "The standard is above the cap for one payment.": "慰问标准超过单次发放上限。",
    "The standard would take the household above the yearly cap.": "按标准发放将超过该户全年上限。",
    "There are no visit lists of this campaign for this unit yet.": "本单位尚未生成本次活动的走访名单。",
    "Payments are proposed for approved (frozen) visit lists: approve them first.": (
        "只能为已审定（冻结）的走访名单申报发放，请先审定名单。"
    ),
    "This batch is not in your unit's branch.": "该批次不属于本单位及下级单位。",
    "This batch has been decided already.": "该批次已审批。",
    "Say why the batch is rejected.": "请说明驳回该批次的原因。",
    "households left out": "未纳入户数",
}
