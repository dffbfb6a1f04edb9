"""UI text of the money-by-unit page (资金收支汇总): a unit's branch over a period, by child unit."""

ZH_HANS = {
    "Money by unit": "资金收支汇总",
    "Up to %(name)s": "返回上级：%(name)s",
    "Money in and out from %(first)s to %(last)s": "%(first)s 至 %(last)s 资金收支",
    "Received, by source (yuan)": "收入（按来源，元）",
    "Paid out, by purpose (yuan)": "支出（按用途，元）",
    "From the higher union": "上级拨付",
    "Total paid out": "支出合计",
    "Allocated to child units (yuan)": "下拨下级（元）",
    "Held now (yuan)": "当前结存（元）",
    "%(name)s (its own funds)": "%(name)s（本级资金）",
    "Whole branch": "本级及下级合计",
    "Each child unit's row counts its whole branch. Money allocated between units of one "
    "branch stays inside it and is counted once: a row shows as received from the higher "
    "union only what came into its top unit from above, and the whole branch counts only "
    "what came into this unit from above, not this unit's allocations to its child units.": (
        "每个下级单位一行，含其全部下级。同一系统内单位之间的下拨只在系统内流转，只计一次："
        "各行的“上级拨付”只计从上级拨入该单位的资金；合计行只计从上级拨入本单位的资金，"
        "不再计入本单位下拨给下级的资金。"
    ),
    "This unit has no child units.": "本单位没有下级单位。",
}
