"""UI text of a unit's dashboard (工作台): key figures, charts with their tables, the period,
the breakdown by child unit (hardship/views/units.py, reports/dashboard.py,
templates/reports/dashboard_*.html)."""

ZH_HANS = {
    # key figures; 户次 counts each visit or payment to a household, 人次 each person reached
    "Key figures": "主要指标",
    "Files on record": "在档户数",
    "Households visited (household-times)": "走访慰问（户次）",
    "People reached (person-times)": "走访慰问（人次）",
    "Money received (yuan)": "资金收入（元）",
    "Money paid out (yuan)": "资金支出（元）",
    "Households helped (household-times)": "帮扶救助（户次）",
    "Follow-ups overdue now": "逾期未办结事项",
    "As things stand now": "截至当前",
    "A year earlier": "上年同期",
    "up on a year earlier": "较上年同期增长",
    "down on a year earlier": "较上年同期下降",
    "Nothing a year earlier to compare with": "上年同期无数据，无法比较",
    # the period and how fresh the figures are
    "Period": "统计期间",
    "Year to date": "本年累计",
    "Years": "年度",
    "Quarters": "季度",
    "Months": "月度",
    "“%(text)s” is not a period this page can show: give a year (2026), a quarter "
    "(2026-q3) or a month (2026-10) that has begun. Showing the year to date instead.": (
        "无法显示“%(text)s”：请选择已经开始的年度（如 2026）、季度（如 2026-q3）"
        "或月份（如 2026-10）。现显示本年累计数据。"
    ),
    "Figures are kept for this year and the %(years)s years before, and each period is "
    "compared with the same period a year earlier, so the earliest period shown is "
    "%(first)s. Showing the year to date instead.": (
        "统计数据保留今年及前 %(years)s 年，每个期间都与上年同期比较，"
        "因此最早可查看 %(first)s 年。现显示本年累计数据。"
    ),
    "Counted from the records as you opened the page.": "数据为打开本页时按记录实时统计。",
    "Figures as at %(time)s (%(day)s); they are brought up to date every few minutes.": (
        "数据截至 %(day)s %(time)s，每隔几分钟更新一次。"
    ),
    "The figures have not been counted yet; they are brought up to date every few minutes.": (
        "数据尚未统计，每隔几分钟更新一次。"
    ),
    "Changes are on the same period a year earlier (%(period)s).": (
        "增减幅度与上年同期（%(period)s）相比。"
    ),
    # charts and their tables
    "date format of a month on a chart's axis|M": "n月",
    "Month": "月份",
    "Same period a year earlier": "上年同期",
    "Campaign coverage by child unit": "各下级单位走访覆盖率",
    "Coverage (%)": "覆盖率（%）",
    "Coverage": "覆盖率",
    "Households visited of those on the lists of the campaigns under way now.": (
        "正在开展的活动中，走访名单内已走访户数所占比例。"
    ),
    "Money in and out by month (yuan)": "逐月资金收支（元）",
    "Files on record by category": "在档户数（按困难类别）",
    "The chart shows this period; the table also shows a year earlier.": (
        "图表显示本期数据；表格同时列出上年同期。"
    ),
    "Files on record by main cause": "在档户数（按主要致困原因）",
    "Visits by month": "逐月走访慰问",
    "Chart: %(title)s. Its numbers are in the table that follows.": (
        "图表：%(title)s。具体数字见其后的表格。"
    ),
    "The numbers of this chart are in the table that follows.": "本图表的数字见其后的表格。",
    "Show the numbers as a table": "以表格查看数字",
    "Nothing to show for this period.": "本期暂无数据。",
    # the breakdown by child unit
    "Each row counts the child unit and every unit below it. Choose a unit to see its "
    "dashboard.": "每行统计该下级单位及其全部下级。点击单位名称可查看其工作台。",
}
