"""The Simplified Chinese UI text, by English source string.

`make messages` extracts the source strings into locale/zh_Hans/.../django.po
and fills every msgstr from this table, then compiles the .mo. A source string
missing here is left empty, and tests/test_translations.py fails on it, so a
new UI string cannot ship untranslated.
"""

ZH_HANS = {
    # languages and site
    "Simplified Chinese": "简体中文",
    "English": "English",
    "Warmth": "送温暖",
    "Warmth casework desk": "送温暖帮扶工作台",
    "Warmth administration": "送温暖帮扶工作台管理",
    "Union units, users and records": "工会组织、用户与记录",
    "Hardship files": "困难职工档案",
    "Visits and campaigns": "走访慰问与活动",
    "Aid funds": "帮扶资金",
    "Not one worker in hardship shall be unable to get by.": "不让一名困难职工过不下去。",
    # navigation and shell
    "Skip to content": "跳到正文",
    "All units": "全部单位",
    "Menu": "菜单",
    "Main navigation": "主导航",
    "Home": "首页",
    "Administration": "系统管理",
    "Sign out": "退出登录",
    "Language": "语言",
    "Switch": "切换",
    "Pages": "分页",
    "Previous": "上一页",
    "Next": "下一页",
    "Page %(number)s of %(total)s": "第 %(number)s 页，共 %(total)s 页",
    # sign-in
    "Sign in": "登录",
    "Hardship files, home visits and aid, for union caseworkers.": "困难职工建档、走访慰问和帮扶资金，工会经办人的日常工作台。",
    "Too many failed sign-ins": "登录失败次数过多",
    "Signing in with this account from this computer is paused. Try again in %(minutes)s minute, or ask your unit administrator to reset your password.": (
        "该账号在这台电脑上的登录已暂停。请 %(minutes)s 分钟后再试，或请本单位管理员重置密码。"
    ),
    "Back to sign in": "返回登录",
    # errors
    "Not found": "未找到",
    "There is nothing at this address that you can see. It may not exist, or it may belong to another unit's branch.": (
        "此地址下没有您可以查看的内容。它可能不存在，或属于其他单位的管辖范围。"
    ),
    "Back to your unit": "返回本单位",
    "Not allowed": "无权操作",
    "You cannot do this with your current roles.": "您当前的角色不能进行此操作。",
    "Form expired": "表单已过期",
    "This form could not be accepted because its security token was missing or out of date. Go back, reload the page and send it again.": (
        "表单的安全令牌缺失或已过期，无法提交。请返回、刷新页面后重新提交。"
    ),
    # union units
    "union unit": "工会组织",
    "union units": "工会组织",
    "name": "名称",
    "unit code": "单位编码",
    "level": "层级",
    "parent unit": "上级单位",
    "administrative-division code": "行政区划代码",
    "The 6-, 9- or 12-digit code of the area the unit serves, e.g. 420102.": "单位所在地区的 6 位、9 位或 12 位行政区划代码，例如 420102。",
    "An administrative-division code has 6, 9 or 12 digits.": "行政区划代码应为 6 位、9 位或 12 位数字。",
    "Use letters, digits and hyphens only (at most 32).": "只能使用字母、数字和连字符（最多 32 个字符）。",
    "National federation": "全国总工会",
    "Province": "省级",
    "City or prefecture": "市（州）级",
    "County or district": "县（区）级",
    "Township or street": "乡镇（街道）",
    "Grassroots union": "基层工会",
    "Every unit below the national federation needs a parent unit.": "除全国总工会外，每个单位都必须有上级单位。",
    "The parent unit must be at a higher level than %(level)s.": "上级单位的层级必须高于“%(level)s”。",
    "A unit cannot be moved under itself or its own branch.": "不能把单位移到它自身或其下级单位之下。",
    "Where this unit sits": "单位位置",
    "Unit code": "单位编码",
    "Division code": "行政区划代码",
    "Your unit. You are responsible for it and for every unit below it.": "这是您所在的单位，您负责本单位及其全部下级单位。",
    "Units below": "下级单位",
    "Name": "名称",
    "Level": "层级",
    "Units directly below": "直属下级单位数",
    "No units below this one.": "没有下级单位。",
    "No units yet.": "还没有单位。",
    # users and roles
    "user": "用户",
    "users": "用户",
    "full name": "姓名",
    "Caseworker": "经办人",
    "Approver": "审批人",
    "Viewer": "查看人",
    "Unit administrator": "单位管理员",
    "caseworker": "经办人",
    "approver": "审批人",
    "viewer": "查看人",
    "unit administrator": "单位管理员",
    "roles": "角色",
    "Roles": "角色",
    "Person": "个人信息",
    "Status": "状态",
    "Superuser": "超级管理员",
    "Keeps files, logs visits, proposes aid.": "建立档案、登记走访、提出帮扶发放。",
    "Unit leader: approves files and payments.": "单位负责人：审批档案和发放。",
    "Reads everything in the branch, changes nothing.": "可查看本单位及下级的全部内容，不能修改。",
    "Manages the branch's units and users in the administration site.": "在系统管理中维护本单位及下级的组织和用户。",
}
