"""UI text of the statistics and the summary reports: periods, the precomputed figures, the
campaign report and the periodic statistical report (PDFs), and the reports page.
"""

ZH_HANS = {
    # the statistics module (reports/apps.py, models.py, periods.py, statistics.py)
    "Statistics and reports": "统计与报表",
    "branch figure": "统计数据",
    "branch figures": "统计数据",
    "months counted again": "重新统计的月份",
    "figures written": "写入数据条数",
    "seconds taken": "耗时（秒）",
    "refresh of the figures": "统计数据更新",
    "refreshes of the figures": "统计数据更新",
    "%(year)s, month %(month)s": "%(year)s年%(month)s月",
    "%(year)s, quarter %(quarter)s": "%(year)s年第%(quarter)s季度",
    "Year %(year)s": "%(year)s年",
    "%(year)s, January to month %(month)s": "%(year)s年1—%(month)s月",
    "Migrant workers": "农民工",
    "Not migrant workers": "非农民工",
    "Not recorded": "未填写",
    # the reports page
    "Reports": "统计报表",
    "Statistical report": "统计报表",
    "The statistical report of a unit's branch for a month, a quarter, a year or the year to "
    "date, each figure beside the same period a year before, with every unit below. It is made "
    "as a PDF by a worker; the next page shows its progress.": (
        "按月、季、年或年初至今生成本单位及下级单位的统计报表，各项数据与上年同期对比，"
        "并列出各下级单位情况。报表由后台生成 PDF，下一页显示进度。"
    ),
    "The report covers the unit and every unit below it.": "报表统计该单位及其全部下级单位。",
    "report|Period": "统计期间",
    "period|Month": "月",
    "period|Quarter": "季度",
    "period|Year": "年度",
    "period|Year to date": "年初至今",
    "For a monthly report; for the year to date, its last month.": (
        "月报填写月份；年初至今报表填写截止月份。"
    ),
    "For a quarterly report.": "季报填写季度。",
    "Choose the month.": "请选择月份。",
    "Choose the quarter.": "请选择季度。",
    "This period has not begun yet.": "该期间尚未开始。",
    "Reports go back to %(year)s only: the figures of the year before a period must still be "
    "kept.": "报表最早只能统计到%(year)s年：需保留所选期间上年同期的数据。",
    "No report was asked for. Correct the fields marked below.": (
        "报表未生成。请更正下方标出的内容。"
    ),
    "Make the report (PDF)": "生成报表（PDF）",
    "Your recent reports": "我最近生成的报表",
    "Report": "报表",
    "Requested": "申请时间",
    "You have not asked for a report yet.": "您还没有生成过报表。",
    "A campaign's report is asked for from the campaign's page.": "活动报告请在活动页面生成。",
    "This report is being made already; here is that job.": "该报表正在生成，这是该任务。",
    "The job queue cannot be reached just now. Your request is kept: it starts by itself as "
    "soon as the queue is back, and this page shows it then.": (
        "任务队列暂时无法连接。您的申请已保存，队列恢复后将自动开始，届时本页会显示进度。"
    ),
    "Back to the reports": "返回统计报表",
    "The unit was not found.": "未找到该单位。",
    "The campaign was not found.": "未找到该活动。",
    "Campaign report (PDF)": "活动情况报告（PDF）",
    # both reports
    "Statistical report on help for workers in hardship": "困难职工帮扶工作统计报表",
    "%(title)s · %(unit)s · %(period)s": "%(title)s · %(unit)s · %(period)s",
    "statistical report": "统计报表",
    "file name|report": "活动报告",
    "%(campaign)s: campaign report": "%(campaign)s情况报告",
    "report|Made by": "制表人",
    "%(name)s (%(unit)s)": "%(name)s（%(unit)s）",
    "report|Note": "说明",
    "%(period_label)s (%(first_day)s to %(last_day)s)": (
        "%(period_label)s（%(first_day)s至%(last_day)s）"
    ),
    "%(first_day)s to %(last_day)s": "%(first_day)s至%(last_day)s",
    "Compared with %(before_label)s. Households on record are counted at the end of the "
    "period; figures as counted at %(as_at)s.": (
        "与%(before_label)s同期对比。在档户数为期末数；数据统计时间%(as_at)s。"
    ),
    "Compared with %(before_label)s. The figures have not been counted yet.": (
        "与%(before_label)s同期对比。数据尚未统计。"
    ),
    "%(season)s. Coverage as it stands now; money paid in this campaign by the units of the "
    "branch.": "%(season)s。走访覆盖为当前数；资金为本系统各单位在本次活动中的实际发放数。",
    "1. Main figures": "一、主要指标",
    "2. Charts": "二、图表",
    "3. Households on record": "三、在档困难职工户数",
    "4. Files opened, exited and closed": "四、建档、脱困与注销",
    "5. Visits and help services": "五、走访慰问与帮扶服务",
    "6. Campaigns": "六、送温暖等活动覆盖情况",
    "7. Money (yuan)": "七、资金情况（元）",
    "8. Students funded, by school stage": "八、助学情况（按学段）",
    "9. By unit below": "九、下级单位情况",
    "3. By unit below": "三、下级单位情况",
    "4. Money paid (yuan)": "四、资金发放（元）",
    "5. Students funded, by school stage": "五、助学情况（按学段）",
    "report|Figure": "指标",
    "report|Files": "档案",
    "report|Kind": "类别",
    "report|Item": "项目",
    "report|Change": "增减",
    "report|Organiser": "组织单位",
    "report|On record": "在档户数",
    "report|Opened": "新建档",
    "This period": "本期",
    "Same period a year before": "上年同期",
    "A year before": "上年同期",
    "Change in per cent": "增减幅度（%）",
    "Change on a year before": "比上年同期增减",
    "Paid, change in per cent": "发放增减幅度（%）",
    "Nothing in this period.": "本期无数据。",
    "Follow-ups overdue now: %(overdue)s.": "当前逾期督办事项：%(overdue)s件。",
    "Households on record at the end of the period": "期末在档户数",
    "By category": "按困难类别",
    "By main cause": "按主要致困原因",
    "By employment": "按就业状况",
    "Model workers": "劳模",
    "Migrant workers or not": "是否农民工",
    "Files opened": "新建档",
    "Files exited from hardship": "脱困",
    "Files closed": "注销",
    "Person-times reached": "慰问人次",
    "Help services (person-times)": "帮扶服务（人次）",
    "Money received": "资金收入",
    "Allocated down to units below": "下拨下级单位",
    "Money paid to households": "发放困难职工资金",
    "By purpose": "按用途",
    "By kind of fund": "按资金类别",
    "Households helped": "受助户数",
    "Students funded": "资助学生人数",
    "Schooling grants paid": "发放助学金",
    "Coverage as it stands now; visits and person-times within the period.": (
        "名单与走访户数为当前数；走访户次与人次为本期数。"
    ),
    "No campaign in this branch.": "本单位及下级无活动。",
    "Students": "学生人数",
    "School stage": "学段",
    "Grants (yuan)": "助学金（元）",
    "Received (10,000 yuan)": "收入（万元）",
    "Paid (10,000 yuan)": "发放（万元）",
    "Paid (yuan)": "发放（元）",
    "Campaign coverage": "活动覆盖率",
    "Follow-ups overdue": "逾期督办",
    "This unit has no units below it.": "本单位无下级单位。",
    "Money received and paid is counted at the unit whose fund it is; households helped at the "
    "unit where the household is on file.": (
        "资金收入与发放按资金所属单位统计；受助户数按困难职工建档单位统计。"
    ),
    "Head of the unit (signature)": "单位负责人（签字）",
    "Households visited": "已走访户数",
    "Money paid (yuan)": "发放资金（元）",
    "Households paid": "发放户数",
    "The whole branch includes households of the organiser's own unit, which belong to no unit "
    "below.": "合计含组织单位本级的困难职工户，不属于任何下级单位。",
    "Nothing paid yet.": "尚无发放。",
    "Nothing to draw yet.": "暂无可绘制的数据。",
    # charts
    "Money by month (yuan)": "各月资金（元）",
    "Month %(month)s": "%(month)s月",
    "Paid to households": "发放困难职工",
    "Compared with the same period a year before": "与上年同期对比",
    "Money paid by purpose (yuan)": "按用途发放资金（元）",
    "Money paid by unit below (yuan)": "各下级单位发放资金（元）",
    "Share of listed households visited, by unit below": "各下级单位走访覆盖率",
    "Students funded by school stage": "各学段资助学生人数",
}
