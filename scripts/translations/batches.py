"""UI text of bulk payments (批量发放): a campaign's visit money proposed for whole visit lists."""

ZH_HANS = {
    # the list and the tabs
    "Bulk payments": "批量发放",
    "Bulk payment": "批量发放",
    "Batches": "批次",
    "Batches by status": "按状态查看批次",
    "A campaign's visit money proposed for whole visit lists of your branch: those waiting for approval first, then the newest.": "本单位及下级单位按走访名单整批申报的活动慰问金：待审批的在前，其余按时间由近及远。",
    "Payments": "发放笔数",
    "Left out": "未列入",
    "Only the first 200 batches are shown.": "仅显示前 200 个批次。",
    "No batch of payments yet. Propose one from a campaign's page or a visit list's page.": "还没有批量发放。可在活动页面或走访名单页面发起申报。",
    "Back to the bulk payments": "返回批量发放",
    # proposing
    "Propose the campaign's visit money": "批量申报活动慰问金",
    "What will be proposed": "将申报的内容",
    "One payment of visit money at the campaign's standard for each household on the approved (frozen) visit lists of %(unit)s and the units below it. Households that break a rule are left out, each with the reason, for the approver to review. No money moves until an approver approves the batch.": "为%(unit)s及其下级单位已审定（冻结）走访名单上的每户困难职工，按活动的分类标准申报一笔慰问金。不符合规定的户不列入，并注明原因，供审批人审核。审批人批准该批次之前，资金不会变动。",
    "The campaign's standard per category": "活动各困难类别的慰问标准",
    "The campaign sets no standard per category: no household can be proposed.": "该活动未设定各困难类别的慰问标准，无法申报任何户。",
    "No fund in use that you may draw on can pay this unit's households.": "没有您可以动用的在用资金能向该单位的困难职工发放。",
    "Propose the payments": "申报发放",
    "The batch is proposed: %(payments)s payments, %(total)s yuan; households left out: %(left_out)s. It waits for an approver.": "已申报该批次：共 %(payments)s 笔、%(total)s 元；未列入 %(left_out)s 户。等待审批。",
    # the batch and its review
    "Visit money of %(campaign)s for %(unit)s": "%(campaign)s · %(unit)s慰问金批量发放",
    "Available in the fund (yuan)": "资金可用余额（元）",
    "Budget remaining (yuan)": "预算余额（元）",
    "None: only the fund's money limits it.": "无：仅受资金余额限制。",
    "Decided": "审批时间",
    "Totals": "合计",
    "Totals per category": "按困难类别合计",
    "Households left out": "未列入的户",
    "These households are on the lists but were not proposed. Propose them one by one where an approver may override a rule.": "以下各户在走访名单上，但未列入本批次。如规定允许审批人特批，可逐户单独申报。",
    "And %(count)s more household, not named here.": "另有 %(count)s 户未在此列出。",
    "No household of the lists could be proposed.": "名单上没有可以申报的户。",
    # deciding
    "Approving reserves %(total)s yuan for %(count)s payment at once.": "批准后将一次性为 %(count)s 笔发放占用 %(total)s 元。",
    "Approve the batch and reserve the money": "批准该批次并占用资金",
    "Reject the batch": "不予批准该批次",
    "You proposed this batch: another approver decides it.": "该批次由您申报，须由其他审批人审批。",
    "The batch is approved and its money reserved.": "该批次已批准，资金已占用。",
    "The batch is rejected; none of its payments will be made.": "该批次未获批准，其中各笔均不予发放。",
}
