"""UI text of the campaign budgets pages, reversing money in and down (冲正), confirming receipt."""

ZH_HANS = {
    # budgets
    "Campaign budgets": "活动预算",
    "All campaign budgets": "全部活动预算",
    "Campaigns and their budgets in your branch": "各活动及本单位及下级的预算",
    "Organised by": "组织单位",
    "Budgets in your branch": "本单位及下级的预算",
    "Only the latest 200 campaigns are shown.": "仅显示最近 200 项活动。",
    "No campaign covers your branch yet.": "尚无覆盖本单位的活动。",
    "Budgets": "预算",
    "The campaign's budgets": "本活动预算",
    "Budgets of %(campaign)s": "%(campaign)s预算",
    "Budget (yuan)": "预算（元）",
    "Committed (yuan)": "已占用（元）",
    "Remainder (yuan)": "剩余（元）",
    "Split from": "分解自",
    "Only the first 200 budgets are shown.": "仅显示前 200 项预算。",
    "This campaign has no budget in your branch yet.": "本活动在本单位及下级尚无预算。",
    "Set a unit's budget": "设定单位预算",
    "Set the budget": "设定预算",
    "A fund of the unit or of a unit above it.": "本单位或上级单位的资金。",
    "Setting it again changes the amount of the unit's budget.": "再次设定将修改该单位的预算金额。",
    "Choose a fund of the unit or of a unit above it.": "请选择本单位或上级单位的资金。",
    "Split a budget to a unit below": "向下级单位分解预算",
    "Budget to split": "要分解的预算",
    "To the unit directly below": "分解给直属下级单位",
    "Split the budget": "分解预算",
    "Choose a unit directly below the budget's unit.": "请选择预算所属单位的直属下级单位。",
    "%(unit)s · %(fund)s (%(remainder)s yuan left)": "%(unit)s · %(fund)s（剩余 %(remainder)s 元）",
    "The budget of %(unit)s is %(amount)s yuan.": "%(unit)s的预算为 %(amount)s 元。",
    "%(amount)s yuan of the budget is split to %(unit)s.": "已向%(unit)s分解预算 %(amount)s 元。",
    # reversals (冲正)
    "Reverse": "冲正",
    "reversed": "已冲正",
    "Reverse a movement": "冲正",
    "Reverse a receipt": "冲正收入",
    "Reverse an allocation": "冲正下拨",
    "Why it is reversed": "冲正原因",
    "Kept with the reversal, for the auditors.": "随冲正记录保存，供审计查阅。",
    "A reversal posts the opposite entries and names this movement; nothing is deleted. "
    "It is refused if the money has been spent meanwhile.": (
        "冲正将记入方向相反的分录并注明所冲正的记录，不删除任何记录。"
        "如该笔资金已被使用，将不能冲正。"
    ),
    "Reversed on %(on)s by %(by)s: %(memo)s": "已于 %(on)s 由%(by)s冲正：%(memo)s",
    "The movement is reversed.": "已冲正。",
    # confirming an allocation arrived (确认到账)
    "Confirm receipt": "确认到账",
    "The receipt was not confirmed.": "未能确认到账。",
    "The receipt of %(amount)s yuan from %(unit)s is confirmed.": (
        "已确认收到%(unit)s下拨的 %(amount)s 元。"
    ),
}
