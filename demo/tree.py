"""The demo union tree and accounts that `make run` loads (`manage.py seed_demo`).

Names and administrative-division codes follow real Hubei and Hunan places so
the demo reads like a real union's data; the enterprises and people are made up.
"""

DEMO_PASSWORD = "Warmth-2026!"  # noqa: S105 - demo data, printed on purpose

# (code, name, level, division code, children)
DEMO_TREE = (
    "ACFTU",
    "中华全国总工会",
    1,
    "",
    [
        (
            "HB",
            "湖北省总工会",
            2,
            "420000",
            [
                (
                    "HB-WH",
                    "武汉市总工会",
                    3,
                    "420100",
                    [
                        (
                            "HB-WH-JA",
                            "江岸区总工会",
                            4,
                            "420102",
                            [
                                (
                                    "HB-WH-JA-DZ",
                                    "大智街道工会",
                                    5,
                                    "420102002",
                                    [
                                        (
                                            "HB-WH-JA-DZ-01",
                                            "武汉江岸车辆厂工会",
                                            6,
                                            "420102002",
                                            [],
                                        ),
                                        (
                                            "HB-WH-JA-DZ-02",
                                            "大智路社区联合工会",
                                            6,
                                            "420102002",
                                            [],
                                        ),
                                    ],
                                ),
                                (
                                    "HB-WH-JA-YY",
                                    "一元街道工会",
                                    5,
                                    "420102003",
                                    [
                                        (
                                            "HB-WH-JA-YY-01",
                                            "江岸区环境卫生管理所工会",
                                            6,
                                            "420102003",
                                            [],
                                        ),
                                        (
                                            "HB-WH-JA-YY-02",
                                            "武汉长江轮渡公司工会",
                                            6,
                                            "420102003",
                                            [],
                                        ),
                                    ],
                                ),
                                (
                                    "HB-WH-JA-HH",
                                    "后湖街道工会",
                                    5,
                                    "420102017",
                                    [
                                        (
                                            "HB-WH-JA-HH-01",
                                            "后湖物流园联合工会",
                                            6,
                                            "420102017",
                                            [],
                                        ),
                                    ],
                                ),
                            ],
                        ),
                        (
                            "HB-WH-WC",
                            "武昌区总工会",
                            4,
                            "420106",
                            [
                                (
                                    "HB-WH-WC-ZN",
                                    "中南路街道工会",
                                    5,
                                    "420106008",
                                    [
                                        (
                                            "HB-WH-WC-ZN-01",
                                            "武昌造船厂退休职工工会",
                                            6,
                                            "420106008",
                                            [],
                                        ),
                                        ("HB-WH-WC-ZN-02", "中南商业大楼工会", 6, "420106008", []),
                                    ],
                                ),
                                (
                                    "HB-WH-WC-SY",
                                    "首义路街道工会",
                                    5,
                                    "420106012",
                                    [
                                        (
                                            "HB-WH-WC-SY-01",
                                            "武昌公交第五营运公司工会",
                                            6,
                                            "420106012",
                                            [],
                                        ),
                                    ],
                                ),
                            ],
                        ),
                        (
                            "HB-WH-HS",
                            "洪山区总工会",
                            4,
                            "420111",
                            [
                                (
                                    "HB-WH-HS-GS",
                                    "关山街道工会",
                                    5,
                                    "420111002",
                                    [
                                        (
                                            "HB-WH-HS-GS-01",
                                            "武汉重型机床集团有限公司工会",
                                            6,
                                            "420111002",
                                            [],
                                        ),
                                        (
                                            "HB-WH-HS-GS-02",
                                            "关山快递外卖骑手联合工会",
                                            6,
                                            "420111002",
                                            [],
                                        ),
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
                (
                    "HB-YC",
                    "宜昌市总工会",
                    3,
                    "420500",
                    [
                        (
                            "HB-YC-XL",
                            "西陵区总工会",
                            4,
                            "420502",
                            [
                                (
                                    "HB-YC-XL-YMZ",
                                    "夜明珠街道工会",
                                    5,
                                    "420502004",
                                    [
                                        ("HB-YC-XL-YMZ-01", "宜昌港务集团工会", 6, "420502004", []),
                                    ],
                                ),
                            ],
                        ),
                        (
                            "HB-YC-YL",
                            "夷陵区总工会",
                            4,
                            "420506",
                            [
                                (
                                    "HB-YC-YL-XXT",
                                    "小溪塔街道工会",
                                    5,
                                    "420506001",
                                    [
                                        (
                                            "HB-YC-YL-XXT-01",
                                            "夷陵建筑工人联合工会",
                                            6,
                                            "420506001",
                                            [],
                                        ),
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
                (
                    "HB-XY",
                    "襄阳市总工会",
                    3,
                    "420600",
                    [
                        (
                            "HB-XY-FC",
                            "樊城区总工会",
                            4,
                            "420606",
                            [
                                (
                                    "HB-XY-FC-MG",
                                    "米公街道工会",
                                    5,
                                    "420606003",
                                    [
                                        ("HB-XY-FC-MG-01", "襄阳纺织集团工会", 6, "420606003", []),
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
            ],
        ),
        (
            "HN",
            "湖南省总工会",
            2,
            "430000",
            [
                (
                    "HN-CS",
                    "长沙市总工会",
                    3,
                    "430100",
                    [
                        (
                            "HN-CS-FR",
                            "芙蓉区总工会",
                            4,
                            "430102",
                            [
                                (
                                    "HN-CS-FR-WY",
                                    "文艺路街道工会",
                                    5,
                                    "430102001",
                                    [
                                        ("HN-CS-FR-WY-01", "长沙卷烟厂工会", 6, "430102001", []),
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
            ],
        ),
    ],
)

# (username, full name, unit code, roles)
DEMO_USERS = [
    ("hubei.caseworker", "马俊", "HB", ["caseworker"]),
    ("hubei.approver", "王丽华", "HB", ["approver"]),
    ("hubei.viewer", "孙红梅", "HB", ["viewer"]),
    ("wuhan.caseworker", "李建国", "HB-WH", ["caseworker"]),
    ("wuhan.approver", "陈静", "HB-WH", ["approver"]),
    ("jiangan.caseworker", "张敏", "HB-WH-JA", ["caseworker"]),
    ("jiangan.caseworker2", "刘洋", "HB-WH-JA", ["caseworker"]),
    ("jiangan.approver", "赵磊", "HB-WH-JA", ["approver"]),
    ("jiangan.admin", "周芳", "HB-WH-JA", ["unit_admin", "viewer"]),
    ("dazhi.caseworker", "吴强", "HB-WH-JA-DZ", ["caseworker"]),
    ("yichang.caseworker", "郑晓燕", "HB-YC", ["caseworker"]),
    ("yichang.approver", "何伟", "HB-YC", ["approver"]),
    ("xiangyang.caseworker", "罗斌", "HB-XY", ["caseworker"]),
    ("hunan.caseworker", "黄志明", "HN", ["caseworker"]),
    ("hunan.approver", "谢芳", "HN", ["approver"]),
    ("changsha.caseworker", "唐磊", "HN-CS", ["caseworker"]),
]

# Minimum living standards (低保, yuan a person a month), urban and rural, this
# year; last year's are 4% lower. Shaped like the published Hubei and Hunan ones.
DEMO_STANDARDS = [
    ("420100", "1000", "780"),  # 武汉市
    ("420500", "780", "620"),  # 宜昌市
    ("420600", "760", "600"),  # 襄阳市
    ("420000", "720", "560"),  # 湖北省 (fallback)
    ("430100", "930", "730"),  # 长沙市
    ("430000", "700", "550"),  # 湖南省 (fallback)
]

# Who keeps the files of each branch: (unit-code prefix, enters, verifies, approves).
DEMO_FILE_KEEPERS = [
    ("HB-WH-JA-DZ", "dazhi.caseworker", "jiangan.caseworker2", "jiangan.approver"),
    ("HB-WH-JA", "jiangan.caseworker", "jiangan.caseworker2", "jiangan.approver"),
    ("HB-WH", "wuhan.caseworker", "hubei.caseworker", "wuhan.approver"),
    ("HB-YC", "yichang.caseworker", "hubei.caseworker", "yichang.approver"),
    ("HB-XY", "xiangyang.caseworker", "hubei.caseworker", "hubei.approver"),
    ("HN", "hunan.caseworker", "changsha.caseworker", "hunan.approver"),
]
DEMO_SUPERUSER = "admin"

# The demo's administrators sign in with a second factor too (people/middleware.py). So that
# anyone can try the demo, each has an authenticator key and recovery codes known in advance,
# printed by seed_demo and listed in README: add the key to any authenticator app (or compute
# codes with `oathtool --totp -b KEY`). Demo data only: real administrators enrol their own.
# (username, authenticator key as 20 bytes, recovery codes)
DEMO_SECOND_FACTORS = [
    ("admin", b"warmth-demo-admin-01", ["demo-admin-1", "demo-admin-2", "demo-admin-3"]),
    (
        "jiangan.admin",
        b"warmth-demo-jiangan1",
        ["demo-jiangan-1", "demo-jiangan-2", "demo-jiangan-3"],
    ),
]
