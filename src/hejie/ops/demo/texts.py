"""What consumers write, and what the others answer: complaint templates by
industry, complaints about businesses not on the platform, replies, reasons
and comments."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hejie.core import clock


@dataclass(frozen=True)
class Tpl:
    problem: str
    claim: str
    desc: str
    price: tuple[int, int] | None  # purchase amount range, yuan
    rule: str = "p"  # how the claim follows: p, half, part, double, fixed, p+x, x, none
    extra: tuple[int, int] = (0, 0)  # range of x (medical bills, overcharge)


TEXTS: dict[str, list[Tpl]] = {
    "catering": [
        Tpl("quality", "refund",
            "{d}在店里点了一份招牌菜，吃到一半发现菜里有一根钢丝球的铁丝，已拍照留存。叫来服务员只说给换一份"
            "，不同意退这道菜的钱，也没有道歉。整桌消费{p}元，要求退还该菜品费用{c}元。", (160, 480), "part"),
        Tpl("safety", "compensation",
            "{d}晚上在店里吃完小龙虾，全家三口当晚上吐下泻，第二天去医院诊断为急性胃肠炎，医药费共{x}元，有门"
            "诊病历和发票。餐费{p}元。要求退还餐费并赔偿医药费，共计{c}元。", (220, 520), "p+x", (300, 1200)),
        Tpl("price", "refund",
            "菜单上清蒸武昌鱼标价88元一条，{d}结账时却按168元收取，店员说是“时价”，菜单上根本没有标注时价。本"
            "次消费{p}元，多收{c}元，要求退还差价。", (260, 600), "fixed", (80, 80)),
        Tpl("false_advertising", "refund",
            "在团购平台买了“双人小龙虾套餐”，页面写明“4斤鲜活大虾”，{d}到店上桌后我们自己称了只有2斤多，还有"
            "不少死虾。套餐价{p}元，要求按实际份量退还{c}元。", (198, 398), "half"),
        Tpl("prepaid_card", "refund",
            "去年在店里办了{p}元的储值卡，还剩{c}元没用完。最近门店贴出“装修停业”通知，电话没人接，去店里也找"
            "不到负责人。要求退还卡内余额。", (1000, 3000), "part"),
        Tpl("service", "apology",
            "{d}提前一天电话订了包间，到店后被告知包间已给了别人，让我们在大厅等了四十分钟，期间服务员态度很"
            "差，还说“爱吃不吃”。要求店方书面道歉。", None, "none"),
        Tpl("contract", "compensation",
            "在店里预订了三桌年夜饭，已付定金{p}元。除夕前三天店里突然通知厨师离职不能接待，只同意退定金。临"
            "时再找饭店非常困难，要求双倍返还定金共{c}元。", (1000, 3000), "double"),
        Tpl("return", "refund",
            "{d}通过外卖平台点了{p}元的餐，送到后发现少了两个菜，联系商家说“已经出餐不能退”。要求退还缺少菜品"
            "的费用{c}元。", (80, 260), "part"),
    ],
    "lodging": [
        Tpl("contract", "compensation",
            "在平台上预订了{d}入住的江景大床房两晚，已付{p}元。到店后前台说房间已满，只能换成无窗的标准间，差"
            "价也不退。要求退还差价并赔偿，共{c}元。", (700, 1600), "half"),
        Tpl("false_advertising", "refund",
            "预订页面照片是落地窗江景，宣传“推窗见江”，{d}入住后发现房间窗外是另一栋楼的墙，完全看不到江。房"
            "费{p}元，要求退款。", (400, 1200), "p"),
        Tpl("quality", "refund",
            "{d}入住后发现床单上有明显污渍和头发，卫生间有霉味，毛巾发黄。打电话给前台，一个小时后才来人，只"
            "是换了床单。房费{p}元，要求退还一晚房费{c}元。", (400, 1000), "half"),
        Tpl("price", "refund",
            "{d}退房时被额外收取{c}元“迷你吧消费”，我们根本没有动过迷你吧的东西，前台说系统显示已消费，不肯核"
            "查监控。房费{p}元另付。", (300, 900), "fixed", (68, 238)),
        Tpl("return", "refund",
            "因为航班取消，提前三天在平台上申请取消订单，酒店以“特价房不退不改”为由拒绝退款，但预订时页面并没"
            "有显示不可取消。房费{p}元，要求全额退还。", (300, 1200), "p"),
        Tpl("safety", "compensation",
            "{d}入住，淋浴间地面没有防滑垫，我母亲洗澡时滑倒摔伤了手腕，去医院花了医药费{x}元，有病历和票据。"
            "酒店只说会加强管理，不愿承担任何费用。要求赔偿{c}元。", (300, 700), "x", (600, 2600)),
        Tpl("service", "refund",
            "{d}退房时交的{c}元押金说是三个工作日内原路退回，现在已经过去两周还没到账，多次打电话前台都说“在"
            "走流程”。要求立即退还押金。", (300, 600), "fixed", (300, 1000)),
        Tpl("prepaid_card", "refund",
            "在酒店办理会员储值卡充值{p}元，当时承诺住宿八折。现在酒店说会员体系升级，卡内余额{c}元只能兑换早"
            "餐券，不能再抵房费。要求退还余额。", (2000, 5000), "part"),
    ],
    "tourism": [
        Tpl("price", "refund",
            "{d}买的是景区通票{p}元，售票时说包含游船，进去以后游船还要另外收费每人{c}元，工作人员说是“二次消"
            "费”。要求退还游船费用。", (160, 360), "fixed", (60, 120)),
        Tpl("contract", "refund",
            "购买了{d}晚上的夜游船票，开船前半小时通知因“天气原因”停航，但当天风平浪静，其他游船照常开航。票"
            "款{p}元只同意退一半，要求全额退款。", (240, 680), "p"),
        Tpl("false_advertising", "refund",
            "宣传页写着“全程观赏峡谷风光、船上自助午餐”，{d}实际只在远处观景台停了二十分钟，午餐是盒饭。团费{"
            "p}元，要求退还{c}元。", (400, 1200), "part"),
        Tpl("safety", "compensation",
            "{d}景区观光车司机下坡时车速很快，急刹车时我父亲从座位上摔下来，额头缝了三针，医药费{x}元。景区说"
            "乘坐观光车是自愿的，不愿赔偿。要求赔偿{c}元。", (100, 200), "x", (800, 3000)),
        Tpl("service", "apology",
            "{d}导游在行程中反复带我们进购物店，不买东西就冷嘲热讽，还说“不消费就别跟团”。要求景区道歉并处理"
            "该导游。", None, "none"),
        Tpl("return", "refund",
            "在景区办了年卡{p}元，因为工作调动到外地，开卡不到一个月就申请退卡，景区说年卡一经售出概不退换。"
            "要求按未使用部分退还{c}元。", (300, 800), "part"),
        Tpl("quality", "refund",
            "{d}乘坐游船，座位破损，空调不制冷，讲解器全部没电，船票{p}元，体验非常差。要求退还部分票款{c}元"
            "。", (200, 600), "part"),
    ],
    "entertainment": [
        Tpl("prepaid_card", "refund",
            "在店里办了{p}元的会员卡，还有{c}元余额。上个月门店突然关门，门口贴了一张“内部装修”的通知，客服电"
            "话一直无人接听。要求退还余额。", (1000, 5000), "part"),
        Tpl("price", "refund",
            "{d}在包厢消费，酒水单上啤酒是15元一瓶，结账时按38元一瓶算，还收了“开瓶费”和“服务费”，共消费{p}元"
            "，多收了{c}元。要求退还。", (600, 1800), "part"),
        Tpl("service", "refund",
            "{d}电影放映到一半画面卡住，等了二十分钟没修好，影院只给换一张当日票，不退款。我们是专门带孩子来"
            "看的首映场，票款{p}元，要求退款。", (90, 240), "p"),
        Tpl("false_advertising", "refund",
            "店家宣传“全新独家首发本”，{d}玩到一半发现是我们半年前在别的店玩过的旧本，只是换了名字。六人共{p}"
            "元，要求退款。", (400, 900), "p"),
        Tpl("contract", "compensation",
            "提前一周预订了生日派对包厢并付了定金{p}元，{d}到店被告知包厢已被其他客人占用，朋友们都到了只能临"
            "时换地方。要求双倍返还定金{c}元。", (300, 1000), "double"),
        Tpl("safety", "compensation",
            "{d}孩子在赛车游戏机上玩，座椅螺丝松动翻倒，孩子胳膊擦伤，医药费{x}元。店里只给了几个游戏币。要求"
            "赔偿{c}元。", (100, 300), "x", (300, 1500)),
        Tpl("quality", "refund",
            "{d}看3D场，眼镜有划痕，画面重影严重，中途要求换眼镜说没有了，看完头晕。"
            "两张票{p}元，要求退款。", (80, 200), "p"),
        Tpl("return", "refund",
            "在平台上买的演出票，演出方临时更换了主演，申请退票被拒，说“演出照常进行不予退票”。票价{p}元，要"
            "求退票。", (380, 1280), "p"),
    ],
}

# Complaints about businesses that are not on the platform (queued for the council).
OUTSIDERS = [
    # name, region, problem, claim, description, amount
    ("街道口夜市烧烤摊", "420106", "safety", "compensation",
     "在街道口夜市路边烧烤摊吃烤串，回家后腹痛腹泻，去医院花了医药费，摊主电话不接。摊位没有招牌。", "650"),
    ("夷陵区某农家乐", "420506", "price", "refund",
     "在夷陵区一家农家乐吃饭，土鸡按斤称重，结账时一只鸡算了六斤多，明显虚报重量，多收了两百多元。", "260"),
    ("襄阳万象健身会所", "420606", "prepaid_card", "refund",
     "办了两年的健身年卡4800元，才用了三个月，会所突然关门，老板联系不上，还有很多会员也是这种情况。", "4200"),
    ("汉正街某服装批发档口", "420104", "return", "exchange",
     "在汉正街档口买的羽绒服，回家发现拉链坏了，去换货老板不认账，说出门概不负责。", ""),
    ("荆州某驾校", "421003", "contract", "refund",
     "报名驾校交了5000元，合同写明两个月内安排考试，半年了还没安排科目二，要求退还剩余费用。", "3000"),
    ("东湖路某私人影院", "420106", "service", "apology",
     "私人影院包间有异味，投影模糊，提出异议后店员态度恶劣，要求道歉。", ""),
    ("江夏区某野生动物园商店", "420115", "price", "refund",
     "景区内小卖部矿泉水标价15元一瓶，未明码标价，结账才告知，要求退还差价。", "30"),
    ("老通城豆皮（大智路）", "420102", "quality", "refund",
     "在大智路老通城买的三鲜豆皮里吃出一根头发，店员不理会。（不知道这家店在平台上的名字）", "36"),
    ("宜昌某汽车租赁公司", "420502", "contract", "refund",
     "租车押金3000元，还车后一个月未退，公司称车辆有划痕要扣钱，但还车时验车单上没有记录。", "3000"),
    ("硚口区某婚纱摄影店", "420104", "contract", "refund",
     "婚纱照套餐8800元，拍摄后一直不交付底片和相册，已经拖了三个月，店家一直推脱。", "8800"),
    ("光谷某美容院", "420111", "prepaid_card", "refund",
     "美容院办卡时承诺随时可退，现在要求退卡却说只能换成产品，卡里还有2600元。", "2600"),
    ("网上认识的代购", "420103", "quality", "refund",
     "朋友圈代购的包是假货，对方不承认，也不肯退款，只有微信聊天记录。", "1500"),
]

BIZ_FIRST_REPLIES = [
    "您好，我是店长，已收到您的投诉，非常抱歉给您带来不好的体验。我们正在核实情况，今天之内给您答复。",
    "您好，已收到您的反馈，我们高度重视，已调取当天的监控和订单记录，请您稍等。",
    "您好，感谢您的反馈。麻烦您提供一下消费凭证（小票或订单截图），方便我们核实处理。",
    "您好，给您添麻烦了！客服主管已经接手处理，稍后会电话联系您，请保持手机畅通。",
    "您好，我们已了解情况，当班员工正在说明经过，核实后第一时间给您方案。",
]
CONSUMER_FOLLOWUPS = [
    "小票照片已经上传了，请尽快处理，谢谢。",
    "请问现在处理到哪一步了？已经等了好几天了。",
    "我当时有录音，也可以提供给你们。",
    "希望你们能给一个明确的答复，不要一直拖。",
    "我只是希望合理解决，不想再跑来跑去。",
]
BIZ_FOLLOWUPS = [
    "我们内部还在走审批流程，请再给我们两天时间。",
    "您提出的金额我们需要向总部申请，请您理解。",
    "已经向区域经理汇报，会尽快给您回复。",
]
REJECT_REASONS = [
    "这个方案和我的实际损失差距太大，不能接受。",
    "只给代金券我用不上，以后也不会再来消费了。",
    "退款金额太少了，而且没有任何道歉。",
]
REFUSE_REASONS = [
    "经核实，消费者所述情况与监控记录不符，本店不同意退款。",
    "该卡系加盟商发行，本店无法办理退款，请联系原发卡门店。",
    "预订时页面已提示“特价不退不改”，本店不同意退款。",
    "消费者已实际消费，所述问题无法证实，不予处理。",
]
RATING_COMMENTS = {
    5: ["处理很快，店长亲自打电话道歉，非常满意。", "当天就退款了，给个好评。", "平台很方便，商家态度也好。"],
    4: ["问题解决了，就是多等了两天。", "结果满意，过程有点慢。"],
    3: ["最终退了钱，但拖得比较久。", "勉强接受，希望商家改进。"],
    2: ["来回沟通了很多次才解决，体验一般。", "方案打了折扣，不太满意。"],
    1: ["商家一直推脱，很失望。", "等了半个月什么结果都没有。"],
}
URGE_NOTES = [
    "该工单已超时未回复，请立即联系消费者并在平台上回复。",
    "请于今日内提出和解方案，逾期将记入商户信用档案。",
    "消费者多次反映未获处理，请尽快办理并确认收到本催办。",
]
WITHDRAW_REASONS = [
    "商家已经主动联系我退款了，撤回投诉。",
    "已和商家线下协商解决。",
    "我自己搞错了订单，撤回。",
]
REJECT_REVIEW_REASONS = [
    "经核实，该纠纷已由人民法院立案受理，依规定不再受理，请关注诉讼进展。",
    "投诉未提供经营者的具体名称和地址，无法核实，请补充信息后重新提交。",
    "所述情况系个人之间的二手交易，不属于消费者权益争议，不予受理。",
    "该投诉与您此前已办结的投诉为同一事项，不再重复受理。",
]
EXTERNAL = [
    ("12315平台", "该经营者未入驻和解平台，已转交全国12315平台按行政投诉程序处理。"),
    ("襄阳市市场监督管理局", "涉及预付卡经营者停业，已转交市场监管部门立案调查。"),
    ("荆州市交通运输局", "驾驶培训合同纠纷，已转交行业主管部门处理。"),
]


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


@dataclass
class Text:
    problem: str
    claim: str
    description: str
    purchase: Decimal | None
    claim_amount: Decimal | None
    purchase_date: dt.date | None


def compose(rng: random.Random, industry: str, filed_at: dt.datetime, *, problem: str | None = None) -> Text:
    choices = [t for t in TEXTS[industry] if problem is None or t.problem == problem]
    tpl = rng.choice(choices)
    p = money(rng.randint(*tpl.price)) if tpl.price else None
    x = money(rng.randint(*tpl.extra)) if tpl.extra != (0, 0) else Decimal(0)
    c = {
        "p": p,
        "half": money(p * Decimal("0.5")) if p else None,
        "part": money(p * Decimal(rng.choice(["0.3", "0.4", "0.5", "0.6"]))) if p else None,
        "double": p * 2 if p else None,
        "fixed": x,
        "p+x": (p or 0) + x,
        "x": x,
        "none": None,
    }[tpl.rule]
    bought = clock.local_date(filed_at) - dt.timedelta(days=rng.randint(0, 9))
    description = tpl.desc.format(p=p, c=c, x=x, d=f"{bought.month}月{bought.day}日")
    return Text(tpl.problem, tpl.claim, description, p, c, bought if p is not None or rng.random() < 0.5 else None)

