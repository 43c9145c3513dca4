"""Report prose: sentences that state headline figures in varied real phrasings, distractor
sentences with numbers that are NOT headline figures, and filler.

Every writer returns (paragraphs, stated) where `stated` holds exactly the headline figures the
text states ({} keys it leaves unsaid), so the ground truth is what the prose says.
"""
from __future__ import annotations

import random

FILLER = [
    "{who}高度重视政府信息公开工作，坚持以公开为常态、不公开为例外，不断完善工作机制，规范公开流程，政府信息公开工作稳步推进。",
    "成立了由主要负责同志任组长、分管负责同志任副组长、各处室负责人为成员的政务公开工作领导小组，办公室负责日常工作。",
    "严格落实信息发布保密审查制度，坚持“先审查、后公开”和“一事一审”原则，全年未发生泄密事件。",
    "及时更新政府信息公开指南和目录，方便公众查询和获取政府信息。",
    "围绕住房保障、棚户区改造、农村危房改造、建筑市场监管等重点领域，持续加大信息公开力度。",
    "进一步规范依申请公开受理、办理、答复流程，严格按照法定时限答复申请人。",
    "加强政策解读，坚持政策文件与解读材料同步组织、同步审签、同步发布。",
    "积极利用门户网站、政务微博、微信公众号等平台，拓宽信息公开渠道。",
    "组织开展政府信息公开业务培训，提升工作人员业务能力和水平。",
]
PROBLEMS = [
    "一是信息公开的深度和广度还需进一步拓展；二是政策解读的形式还不够丰富；三是工作人员业务能力有待进一步提高。",
    "部分栏目信息更新不够及时，与公众的互动交流还需加强。下一步，我们将进一步完善制度，加强培训，提升政府信息公开工作水平。",
    "主动公开信息的及时性、准确性仍需提高。下一步将加强统筹协调，细化公开内容，强化监督考核。",
]


def _pick(rng: random.Random, options: list[str]) -> str:
    return rng.choice(options)


# ---------------------------------------------------------------- headline sentences
def proactive_sentence(rng: random.Random, year: int, n: int) -> str:
    return _pick(rng, [
        f"{year}年，全年共主动公开政务信息{n}条。",
        f"全年共主动公开政府信息{n}条，其中通过门户网站发布{max(n - rng.randint(1, max(1, n // 3)), 0)}条。",
        f"本年度累计主动公开政府信息{n}条。",
        f"{year}年共主动公开各类政府信息{n}条，内容涵盖工作动态、通知公告、政策法规、人事信息等。",
        f"截至{year}年12月底，通过门户网站等渠道主动公开信息{n}条。",
    ])


def applications_sentence(rng: random.Random, year: int, n: int, granted: int | None,
                          partial: int | None, refused: int | None) -> str:
    if n == 0:
        return _pick(rng, [f"{year}年度未收到政府信息公开申请。", "本年度我单位未收到依申请公开政府信息的申请。"])
    if granted is None:
        return _pick(rng, [f"{year}年，共收到依申请公开来信{n}件，均按规定进行了办理答复。",
                           f"本年度共受理政府信息公开申请{n}件，已全部按时予以答复。",
                           f"全年收到政府信息公开申请{n}件，按时办结率100%。"])
    if partial is None:
        return _pick(rng, [f"{year}年共受理依申请公开信息{n}条，同意公开{granted}条，全部直接回复申请人。",
                           f"全年共受理政府信息公开申请{n}件，其中同意公开{granted}件。"])
    return (f"全年共受理政府信息公开申请{n}件，其中同意公开{granted}件，部分公开{partial}件，"
            f"不予公开{refused}件，其余均已告知申请人相关情况。")


def review_sentence(rng: random.Random, year: int, mode: str, review: int, litigation: int) -> tuple[str, dict]:
    if mode == "none_both":
        return _pick(rng, [
            f"{year}年度，没有因政府信息公开申请行政复议、提起行政诉讼等情况。",
            "本年度未发生因政府信息公开引起的行政复议和行政诉讼案件。",
            "全年没有发生针对本机关政府信息公开事务的行政复议申请和行政诉讼。",
        ]), {"review_total": 0, "litigation_total": 0}
    if mode == "numbers":
        return (f"本年度发生因政府信息公开申请行政复议{review}件、提起行政诉讼{litigation}件，"
                f"目前均已办结。"), {"review_total": review, "litigation_total": litigation}
    if mode == "review_none":
        return "目前没有收到有关政府信息公开事务的行政复议申请。", {"review_total": 0}
    return "", {}


def fees_sentence(rng: random.Random, mode: str, amount: int) -> tuple[str, dict]:
    if mode == "none":
        return _pick(rng, ["所有信息公开未收取任何费用。", "我单位在政府信息公开工作中未收取任何费用，也无减免情况。",
                           "政府信息公开工作未涉及收费及减免情况。"]), {"disclosure_fees_yuan": 0}
    if mode == "amount":
        return f"依申请提供政府信息收取检索、复制、邮寄等成本费用共计{amount}元。", {"disclosure_fees_yuan": amount}
    return "", {}


# -------------------------------------------------------------------- distractors
def distractors(rng: random.Random, year: int, k: int) -> list[str]:
    """Sentences with numbers that are not headline figures (visits, letters, proposals, last year...)."""
    pool = [
        f"{year}年网站年访问量为{rng.randint(20, 900)}万次。",
        f"全年共办理人大建议{rng.randint(5, 80)}件、政协提案{rng.randint(5, 80)}件，办复率100%。",
        f"共收到厅长信箱{rng.randint(20, 300)}件，省长信箱{rng.randint(10, 150)}件，均按规定办理答复。",
        f"{year - 1}年全年主动公开政府信息{rng.randint(100, 3000)}条，本年度信息公开数量较上年有所增长。",
        f"召开新闻发布会{rng.randint(1, 12)}次，发布政策解读稿件{rng.randint(2, 40)}篇。",
        f"更新办事指南{rng.randint(5, 60)}项，回复网民留言{rng.randint(10, 400)}条。",
        f"接受群众咨询{rng.randint(30, 600)}人次，包括电话咨询、当面咨询和网上咨询。",
        f"向档案馆、公共图书馆等查阅场所报送主动公开文件{rng.randint(5, 90)}件。",
    ]
    return rng.sample(pool, k)


# ------------------------------------------------------------------------ writers
def prose_report(rng: random.Random, who: str, year: int, f: dict) -> tuple[list[str], dict]:
    """A 2008-regulation prose report. f: proactive, apps, granted, partial, refused, review, litigation,
    fees_amount; the writer decides (seeded) which of them it states, and how."""
    stated: dict = {}
    paras = [f"根据《中华人民共和国政府信息公开条例》规定，现公布{who}{year}年政府信息公开工作年度报告。"
             f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"]
    paras.append("一、概述")
    paras += [s.format(who=who) for s in rng.sample(FILLER[:5], 2)]
    paras.append("二、主动公开政府信息情况")
    if rng.random() < 0.9:
        paras.append(proactive_sentence(rng, year, f["proactive"]))
        stated["proactive_total"] = f["proactive"]
    paras += distractors(rng, year, rng.randint(1, 3))
    paras.append(_pick(rng, ["三、依申请公开政府信息情况", "三、依申请公开政府信息和不予公开政府信息的情况"]))
    if rng.random() < 0.8:
        g = f["granted"] if rng.random() < 0.6 else None
        p = r = None
        if g is not None and rng.random() < 0.4:
            p, r = f["partial"], f["refused"]
        paras.append(applications_sentence(rng, year, f["apps"], g, p, r))
        stated["applications_new"] = f["apps"]
        if f["apps"] and g is not None:
            stated["granted"] = g
            if p is not None:
                stated.update(partially_granted=p, refused=r)
    else:
        paras.append(_pick(rng, FILLER[5:]))
    paras.append("四、政府信息公开的收费及减免情况")
    fee_mode = rng.choices(["none", "amount", "unsaid"], [6, 1, 2])[0]
    if f.get("fees_binding") and fee_mode != "unsaid":   # a table states the fees: agree with it
        fee_mode = "amount" if f["fees_amount"] else "none"
    text, s = fees_sentence(rng, fee_mode, f["fees_amount"])
    paras.append(text or "严格执行国家有关规定。")
    stated.update(s)
    paras.append("五、因政府信息公开申请行政复议、提起行政诉讼的情况")
    mode = rng.choices(["none_both", "numbers", "review_none", "unsaid"], [5, 2, 1, 1])[0]
    if mode == "none_both" and (f["review"] or f["litigation"]) or mode == "review_none" and f["review"]:
        mode = "numbers"
    text, s = review_sentence(rng, year, mode, f["review"], f["litigation"])
    paras.append(text or "依法依规做好行政复议、行政诉讼相关工作。")
    stated.update(s)
    paras.append("六、存在的主要问题及改进情况")
    paras.append(rng.choice(PROBLEMS))
    paras.append("七、其他需要报告的事项")
    paras.append("无。")
    return paras, stated


def template_prose(rng: random.Random, who: str, year: int, template: int, proactive: int,
                   fee_mode: str, fee_amount: int) -> dict[str, list[str]]:
    """Prose of the template sections; table sections get one lead paragraph. Returns
    {"一": [...], "二": [...], "五": [...], "六": [...], "stated": {...}} (stated: headline figures)."""
    stated: dict = {}
    one = [s.format(who=who) for s in rng.sample(FILLER, 3)] + distractors(rng, year, rng.randint(1, 2))
    two = []
    if rng.random() < 0.6:
        two.append(proactive_sentence(rng, year, proactive))
        stated["proactive_total"] = proactive
    six = []
    if template == 2021:
        if fee_mode == "none":
            six.append(_pick(rng, [f"{year}年度未收取信息处理费。", "本机关未收取信息处理费。",
                                   "根据《政府信息公开信息处理费管理办法》，本年度未收取信息处理费。"]))
            stated["disclosure_fees_yuan"] = 0
        elif fee_mode == "amount":
            six.append(f"本年度依据《政府信息公开信息处理费管理办法》收取信息处理费{fee_amount}元。")
            stated["disclosure_fees_yuan"] = fee_amount
    elif fee_mode == "none":
        six.append("本年度政府信息公开工作未收取任何费用。")
        stated["disclosure_fees_yuan"] = 0
    six.append(_pick(rng, ["无其他需要报告的事项。", "本机关无其他需要报告的事项。",
                           f"{year}年，积极落实政务公开工作要点，完成了年度工作任务。"]))
    return {"一": one, "二": two, "五": [rng.choice(PROBLEMS)], "六": six, "stated": stated}
