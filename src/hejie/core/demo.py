"""Demo data: Hubei's launch industries, businesses, staff, consumers and about
120 work orders in every state, made through the real services.

Nothing here writes a model the services own. Each order's story is a list of
steps (file, reply, offer, reject with a counter, urge, refuse, mediate …) at
moments in the past; the steps of all stories, and the businesses' own steps
(apply, approve, stores, suspension), run in one global time order, each under
``clock.travel(moment)``. Before every step the sweep runs at each deadline
that has fallen due since the last one, exactly as ``hejie serve`` would have
run it, so automatic urges, reminders, the 14-day failure and the
consumer-unresponsive close happen by the real rules at the real moments;
ratings and black-list candidates follow from them. At the end the sweep runs
once more at the real now.

The stories are fixed by a seed, and placed relative to the moment the demo
is loaded, so the demo is the same every time (only its dates move). The
whole load is one transaction: it loads completely or not at all.
"""

# ruff: noqa: S311 - the demo wants a seeded, repeatable generator, not a secret one

from __future__ import annotations

import datetime as dt
import heapq
import io
import itertools
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Min
from stdnum.cn import uscc

from hejie.core import clock
from hejie.core.errors import DomainError

SEED = 20210315  # the day the Hubei platform opened
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "hejie-admin-2026"  # noqa: S105 - published demo passwords, printed on every run
STAFF_PASSWORD = "hejie-demo-2026"  # noqa: S105
CONSUMER_PHONES = [f"139{n:08d}" for n in range(1, 21)]
LAUNCH_INDUSTRIES = ("catering", "lodging", "tourism", "entertainment")

# username, region, display name
COUNCILS = [
    ("council_hubei", "420000", "湖北省消委 周敏"),
    ("council_wuhan", "420100", "武汉市消委 陈立"),
    ("council_wuchang", "420106", "武昌区消委 刘静"),
    ("council_yichang", "420500", "宜昌市消委 王磊"),
]

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
MIN = dt.timedelta(minutes=1)


DEMO_PLATFORM = "江城到家外卖平台"
DEMO_ASSOCIATION = "湖北省消费服务行业协会"
DEMO_STANDARDS = [
    ("catering", "餐饮服务消费纠纷和解规范", [
        ("1.1", "菜单、价目表应明码标价；“时价”菜品须在点菜时告知价格。"),
        ("3.2", "菜品中出现异物的，经营者应为消费者更换或退还该菜品费用，并致歉。"),
        ("4.1", "因食用不洁食品导致身体不适，经医疗机构诊断的，经营者应承担合理的医疗费用。"),
        ("5.3", "预付卡（储值卡）停业或转让的，经营者应提前30日告知并按余额退款。"),
    ]),
    ("lodging", "住宿服务消费纠纷和解规范", [
        ("2.1", "消费者在入住日前24小时以上取消预订的，经营者应全额退还房费。"),
        ("2.3", "实际房型与预订房型不符的，经营者应退还差价，并给予不少于一晚房费20%的补偿。"),
        ("3.4", "押金应在退房后3个工作日内原路退回。"),
    ]),
    ("tourism", "旅游景区服务消费纠纷和解规范", [
        ("1.2", "因景区原因停止游览项目的，应全额退还该项目票款。"),
        ("2.5", "宣传的游览内容未提供的，应按未提供部分的比例退还费用。"),
        ("4.1", "游客在景区内因设施原因受伤的，景区应先行垫付必要的医疗费用。"),
    ]),
    ("entertainment", "文化娱乐服务消费纠纷和解规范", [
        ("2.2", "酒水、服务费等收费项目应事先明示，未明示的不得收取。"),
        ("3.1", "因场所原因中断服务超过30分钟的，应退还相应费用。"),
        ("5.3", "会员卡（储值卡）停业或转让的，经营者应提前30日告知并按余额退款。"),
    ]),
]


class DemoError(Exception):
    """The demo could not be loaded (a service refused a step, or the database is not fit)."""


# ============================================================================ businesses


@dataclass(frozen=True)
class Biz:
    n: int  # 1..55; the staff account is biz_<n>
    name: str
    industry: str
    region: str
    address: str
    contact: str
    approver: str = "admin"  # username of who approves it
    plan: str = "active"  # active | applied | approve_later | suspend
    stores: tuple = ()  # (name, region, address) given in the application
    later_stores: tuple = ()  # (name, region, address) added by store_add after approval


BUSINESSES: list[Biz] = [
    # --- catering 餐饮 (22)
    Biz(1, "汉口老通城豆皮馆", "catering", "420102", "武汉市江岸区大智路18号", "曹建国",
        stores=(("户部巷店", "420106", "武汉市武昌区户部巷12号"),
                ("江汉路步行街店", "420103", "武汉市江汉区江汉路145号"))),
    Biz(2, "户部巷四季美汤包馆", "catering", "420106", "武汉市武昌区户部巷36号", "田秀兰", approver="council_wuchang"),
    Biz(3, "吉庆街老汉口大排档", "catering", "420102", "武汉市江岸区吉庆街87号", "胡志强", approver="council_wuhan"),
    Biz(4, "江汉路周记鸭脖", "catering", "420103", "武汉市江汉区前进一路56号", "周红梅",
        later_stores=(("武汉站店", "420111", "武汉市洪山区白云路武汉站东广场B1层"),)),
    Biz(5, "楚河汉街楚味湖北菜馆", "catering", "420106", "武汉市武昌区楚河汉街东区2栋3层", "黄海涛",
        approver="council_hubei"),
    Biz(6, "光谷虾皇小龙虾馆", "catering", "420111", "武汉市洪山区光谷步行街三期C区18号", "熊伟"),
    Biz(7, "万松园靓味蒸虾馆", "catering", "420103", "武汉市江汉区万松园路101号", "李娟", approver="council_wuhan"),
    Biz(8, "归元寺素斋馆", "catering", "420105", "武汉市汉阳区翠微路22号", "释明"),
    Biz(9, "宗关糊汤粉老店", "catering", "420104", "武汉市硚口区解放大道宗关段318号", "万桂芝",
        approver="council_hubei"),
    Biz(10, "红钢城烧烤城", "catering", "420107", "武汉市青山区红钢城八街坊12号", "余德胜"),
    Biz(11, "金银湖鱼头馆", "catering", "420112", "武汉市东西湖区金银湖路9号", "彭俊", approver="council_wuhan"),
    Biz(12, "木兰乡村农家乐", "catering", "420116", "武汉市黄陂区木兰乡双泉村5组", "严小军",
        approver="council_wuhan", plan="approve_later"),
    Biz(13, "藏龙岛火锅城", "catering", "420115", "武汉市江夏区藏龙岛杨桥湖大道27号", "郑磊", plan="applied"),
    Biz(14, "楚茶记奶茶", "catering", "420106", "武汉市武昌区中南路7号", "罗雪",
        approver="council_hubei",
        stores=(("光谷广场店", "420111", "武汉市洪山区珞喻路726号"),
                ("宜昌国贸店", "420502", "宜昌市西陵区东山大道106号"))),
    Biz(15, "宜昌二马路凉虾铺", "catering", "420502", "宜昌市西陵区二马路45号", "向芳", approver="council_yichang"),
    Biz(16, "伍家岗萝卜饺子王", "catering", "420503", "宜昌市伍家岗区桔城路88号", "覃海"),
    Biz(17, "夷陵三峡鱼馆", "catering", "420506", "宜昌市夷陵区夷兴大道166号", "杜明", approver="council_yichang"),
    Biz(18, "樊城黄酒牛肉面馆", "catering", "420606", "襄阳市樊城区人民路23号", "张大勇", approver="council_hubei"),
    Biz(19, "古隆中农家菜馆", "catering", "420602", "襄阳市襄城区隆中路50号", "诸葛华"),
    Biz(20, "荆州古城鱼糕馆", "catering", "421003", "荆州市荆州区荆中路77号", "邓春燕", approver="council_hubei"),
    Biz(21, "沙市早堂面馆", "catering", "421002", "荆州市沙市区中山路133号", "刘长青"),
    Biz(22, "恩施土家腊肉馆", "catering", "422801", "恩施市舞阳大街60号", "谭银花", approver="council_hubei"),
    # --- lodging 住宿 (13)
    Biz(23, "江城印象酒店", "lodging", "420106", "武汉市武昌区中北路128号", "孙丽华",
        later_stores=(("光谷店", "420111", "武汉市洪山区光谷大道68号"),
                      ("汉口火车站店", "420103", "武汉市江汉区发展大道汉口站北广场9号"))),
    Biz(24, "汉口江滩国际大酒店", "lodging", "420102", "武汉市江岸区沿江大道168号", "梅建华",
        approver="council_wuhan"),
    Biz(25, "光谷星悦酒店", "lodging", "420111", "武汉市洪山区光谷大道77号", "何平", approver="council_hubei"),
    Biz(26, "东湖听涛度假酒店", "lodging", "420106", "武汉市武昌区东湖路142号", "柯蓉", approver="council_wuchang"),
    Biz(27, "武汉站商务快捷酒店", "lodging", "420111", "武汉市洪山区白云路11号", "许斌"),
    Biz(28, "龟山青年旅舍", "lodging", "420105", "武汉市汉阳区琴台大道9号", "章小雨"),
    Biz(29, "三峡大坝观景酒店", "lodging", "420506", "宜昌市夷陵区三斗坪镇坝河路8号", "望兴国",
        approver="council_yichang"),
    Biz(30, "宜昌滨江国际饭店", "lodging", "420502", "宜昌市西陵区沿江大道52号", "李国华", approver="council_yichang"),
    Biz(31, "襄阳古城客栈", "lodging", "420602", "襄阳市襄城区北街66号", "单晓燕", approver="council_hubei"),
    Biz(32, "荆州古城墙民宿", "lodging", "421003", "荆州市荆州区南门大街21号", "屈志伟"),
    Biz(33, "恩施大峡谷云端民宿", "lodging", "422801", "恩施市沐抚办事处营上村", "向阳", approver="council_hubei"),
    Biz(34, "咸宁温泉山居度假酒店", "lodging", "421202", "咸宁市咸安区温泉路36号", "朱玲"),
    Biz(35, "武当山道源客栈", "lodging", "420381", "丹江口市武当山旅游经济特区太和路3号", "杨道明", plan="applied"),
    # --- tourism 旅游景区 (10)
    Biz(36, "东湖绿道观光游船", "tourism", "420106", "武汉市武昌区东湖路听涛码头", "戴文斌"),
    Biz(37, "黄鹄矶文化游览区", "tourism", "420106", "武汉市武昌区蛇山西山坡特1号", "陆川", approver="council_wuchang"),
    Biz(38, "江城两江夜游游船", "tourism", "420102", "武汉市江岸区汉口江滩四码头", "江涛", approver="council_wuhan"),
    Biz(39, "木兰古寨生态旅游区", "tourism", "420116", "武汉市黄陂区姚集街道", "程远"),
    Biz(40, "西陵峡风光游船", "tourism", "420502", "宜昌市西陵区滨江公园游客码头", "田野", approver="council_yichang"),
    Biz(41, "清江秀水游船", "tourism", "420528", "长阳土家族自治县龙舟坪镇清江路2号", "覃思远"),
    Biz(42, "隆中古韵文化景区", "tourism", "420602", "襄阳市襄城区隆中路99号", "孔明亮", approver="council_hubei"),
    Biz(43, "荆州古城墙观光车", "tourism", "421003", "荆州市荆州区荆州古城东门", "关平"),
    Biz(44, "恩施云龙地缝景区", "tourism", "422801", "恩施市沐抚办事处云龙河", "黄山", approver="council_hubei",
        plan="approve_later"),
    Biz(45, "东湖极地海洋世界", "tourism", "420111", "武汉市洪山区东湖生态旅游风景区鲁磨路", "韩冬"),
    # --- entertainment 文化娱乐 (10)
    Biz(46, "光谷星光KTV", "entertainment", "420111", "武汉市洪山区珞喻路889号", "吴昊", approver="council_wuhan",
        later_stores=(("徐东店", "420106", "武汉市武昌区徐东大街18号"),)),
    Biz(47, "汉街星空影城", "entertainment", "420106", "武汉市武昌区楚河汉街万达广场5层", "冯晨"),
    Biz(48, "江汉路迷雾剧本杀馆", "entertainment", "420103", "武汉市江汉区江汉路步行街99号4楼", "叶知秋",
        approver="council_wuhan"),
    Biz(49, "光谷天地电玩城", "entertainment", "420111", "武汉市洪山区关山大道光谷天地3层", "任浩"),
    Biz(50, "江城水秀剧场", "entertainment", "420106", "武汉市武昌区楚河汉街汉秀剧场旁", "汪洋",
        approver="council_hubei"),
    Biz(51, "知音琴台演艺中心", "entertainment", "420105", "武汉市汉阳区琴台路10号", "钟子期"),
    Biz(52, "宜昌麦霸量贩KTV", "entertainment", "420502", "宜昌市西陵区夷陵大道58号", "聂飞",
        approver="council_yichang"),
    Biz(53, "襄阳唐城沉浸剧场", "entertainment", "420602", "襄阳市襄城区檀溪路唐城影视基地", "李白露",
        plan="applied"),
    Biz(54, "汉口欢唱派对KTV", "entertainment", "420103", "武汉市江汉区解放大道688号", "马超",
        approver="council_wuhan", plan="suspend"),
    Biz(55, "青山极速电竞网咖", "entertainment", "420107", "武汉市青山区和平大道1230号", "石磊"),
]

PREPAID_KTV = 54  # three failed cases in 90 days: black-list candidate, then suspended
SILENT_NETCAFE = 55  # never takes up a complaint: black-list candidate
LATE_FARM = 12  # applies, gets a complaint while applied, approved, the complaint is forwarded
SURGE_GRILL = 10  # a quiet grill house: six food-safety complaints in one day, flagged as a surge
# Active businesses that receive the ordinary stories, with how often.
POOL = {
    23: 10, 46: 8, 1: 7, 6: 6, 36: 5, 14: 5, 24: 4, 47: 4, 2: 3, 4: 3, 5: 3, 7: 3, 15: 3, 17: 3,
    18: 2, 20: 2, 25: 3, 30: 3, 38: 3, 40: 3, 49: 3, 52: 3,
}  # fmt: skip
# Staff accounts (biz_<n>): every business that receives complaints (two of them still applying).
STAFFED = sorted({*POOL, PREPAID_KTV, SILENT_NETCAFE, LATE_FARM, SURGE_GRILL, 13, 35})

_AREA_CODES = {"4201": "027", "4202": "0714", "4203": "0719", "4205": "0717", "4206": "0710", "4210": "0716",
               "4212": "0715", "4228": "0718"}
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_codes() -> dict[int, str]:
    """The demo businesses' unified social credit codes, the same every run."""
    rng = random.Random(f"{SEED}-credit-codes")
    codes = {}
    for biz in BUSINESSES:
        body = "92" if biz.n % 7 == 0 else "91"  # 92: individual business (个体工商户)
        body += biz.region + "MA" + "".join(rng.choice(_CODE_ALPHABET) for _ in range(7))
        codes[biz.n] = body + uscc.calc_check_digit(body)
    return codes


def _contact_phone(rng: random.Random, region: str) -> str:
    area = _AREA_CODES.get(region[:4], "027")
    digits = 8 if area == "027" else 7
    return f"{area}-{rng.randint(6, 8)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"


# ============================================================================ what consumers write


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


def _money(value) -> Decimal:
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
    p = _money(rng.randint(*tpl.price)) if tpl.price else None
    x = _money(rng.randint(*tpl.extra)) if tpl.extra != (0, 0) else Decimal(0)
    c = {
        "p": p,
        "half": _money(p * Decimal("0.5")) if p else None,
        "part": _money(p * Decimal(rng.choice(["0.3", "0.4", "0.5", "0.6"]))) if p else None,
        "double": p * 2 if p else None,
        "fixed": x,
        "p+x": (p or 0) + x,
        "x": x,
        "none": None,
    }[tpl.rule]
    bought = clock.local_date(filed_at) - dt.timedelta(days=rng.randint(0, 9))
    description = tpl.desc.format(p=p, c=c, x=x, d=f"{bought.month}月{bought.day}日")
    return Text(tpl.problem, tpl.claim, description, p, c, bought if p is not None or rng.random() < 0.5 else None)


# ============================================================================ evidence files


def _evidence_image(lines: list[str], seed: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)
    img = Image.new("RGB", (360, 48 + 22 * len(lines)), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    draw.rectangle((8, 8, 351, img.height - 9), outline=(180, 180, 170))
    for i, line in enumerate(lines):
        draw.text((20, 22 + 22 * i), line, fill=(30, 30, 30), font=font)
    for _ in range(40):  # a little paper grain, so no two files are alike
        x, y = rng.randrange(img.width), rng.randrange(img.height)
        draw.point((x, y), fill=(200, 200, 190))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _evidence_pdf(lines: list[str], seed: int) -> bytes:
    from PIL import Image

    png = _evidence_image(lines, seed)
    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as img:
        img.convert("RGB").save(out, "PDF", resolution=72.0)
    return out.getvalue()


# ============================================================================ the loader


@dataclass
class Step:
    when: dt.datetime
    label: str
    fn: Callable[[], None]


@dataclass
class Result:
    loaded: bool
    seconds: float = 0.0
    mismatches: list[str] = field(default_factory=list)


class Demo:
    def __init__(self, now: dt.datetime | None = None, *, seed: int = SEED):
        self.now = now or clock.now()
        self.limit = self.now - 2 * MIN  # every scripted step happens before this
        self.rng = random.Random(seed)
        self._queue: list[tuple[dt.datetime, int, Step]] = []
        self._seq = itertools.count()
        self.codes = credit_codes()
        self.biz: dict[int, object] = {}
        self.staff: dict[int, object] = {}
        self.staff_by_pk: dict[int, object] = {}
        self.council: dict[str, object] = {}
        self.consumers: list = []
        self.admin = None
        self.cases: list[Case] = []
        self.failures: Counter = Counter()  # planned failed cases per business (black-list rule)
        self.refs: set[str] = set()
        self.sweeps = 0

    # --------------------------------------------------------------- scheduling

    def at(self, when: dt.datetime, label: str, fn: Callable[[], None]) -> None:
        if when >= self.limit:
            raise DemoError(f"demo script error: step {label!r} would happen in the future ({when.isoformat()})")
        heapq.heappush(self._queue, (when, next(self._seq), Step(when, label, fn)))

    def _sweep_until(self, moment: dt.datetime) -> None:
        """Run the sweep at every deadline that falls due up to ``moment``, at that deadline."""
        from hejie.complaints.models import Complaint
        from hejie.complaints.sweep import sweep

        while True:
            due = Complaint.objects.filter(next_deadline_at__lte=moment).aggregate(m=Min("next_deadline_at"))["m"]
            if due is None:
                return
            with clock.travel(due):
                report = sweep(due)
            self.sweeps += 1
            if report.errors:
                raise DemoError(f"the sweep failed on {report.errors} order(s) at {due.isoformat()}; see the log")

    def _run(self) -> None:
        from hejie.complaints.sweep import sweep

        while self._queue:
            when, _, step = heapq.heappop(self._queue)
            self._sweep_until(when)
            with clock.travel(when):
                try:
                    step.fn()
                except DomainError as exc:
                    raise DemoError(
                        f"a service refused demo step {step.label!r} at {when.isoformat()}: {exc.message}"
                    ) from exc
        self._sweep_until(self.now)
        report = sweep()  # at the real now
        if report.errors:
            raise DemoError(f"the final sweep failed on {report.errors} order(s); see the log")

    # --------------------------------------------------------------- helpers for stories

    def ago(self, lo: float, hi: float) -> dt.datetime:
        """A moment between ``hi`` and ``lo`` days ago; in the daytime (Shanghai) unless it is within a day."""
        moment = self.now - dt.timedelta(days=self.rng.uniform(lo, hi))
        if lo < 1 or hi - lo < 1.2:
            return moment.replace(microsecond=0)
        local = moment.astimezone(clock.SHANGHAI).replace(
            hour=self.rng.randint(8, 21), minute=self.rng.randint(0, 59), second=self.rng.randint(0, 59),
            microsecond=0,
        )
        if self.now - local < dt.timedelta(days=lo):
            local -= D
        elif self.now - local > dt.timedelta(days=hi):
            local += D
        return local.astimezone(dt.UTC)

    def hours(self, lo: float, hi: float) -> dt.timedelta:
        return dt.timedelta(minutes=round(self.rng.uniform(lo, hi) * 60))

    def days(self, lo: float, hi: float) -> dt.timedelta:
        return dt.timedelta(minutes=round(self.rng.uniform(lo, hi) * 1440))

    def pick_consumer(self) -> int:
        weights = [8, 5, 4, 3] + [2] * 6 + [1] * 10
        return self.rng.choices(range(len(CONSUMER_PHONES)), weights=weights)[0]

    def pick_business(self, *, failing: bool = False) -> int:
        keys = list(POOL)
        if failing:  # at most two failures per ordinary business: only the two rule-breakers are candidates
            keys = [k for k in keys if self.failures[k] < 2]
        n = self.rng.choices(keys, weights=[POOL[k] for k in keys])[0]
        if failing:
            self.failures[n] += 1
        return n

    def order_ref(self, industry: str) -> str:
        while True:
            prefix = {"catering": "MT", "lodging": "XC", "tourism": "TK", "entertainment": "DY"}.get(industry, "NO")
            ref = f"{prefix}{self.rng.randrange(10**15, 10**16)}"
            if ref not in self.refs:
                self.refs.add(ref)
                return ref

    def council_for(self, complaint) -> object:
        if complaint.region_l3 == "420106":
            return self.council["council_wuchang"]
        if complaint.region_l2 == "420100":
            return self.council["council_wuhan"]
        if complaint.region_l2 == "420500":
            return self.council["council_yichang"]
        return self.council["council_hubei"]

    def case(self, story: str, expect: str, *, business: int | None = None, consumer: int | None = None,
             filed: dt.datetime, problem: str | None = None, outsider: int | None = None,
             store: bool | None = None) -> Case:
        case = Case(self, story, expect, business=business,
                    consumer=self.pick_consumer() if consumer is None else consumer,
                    filed=filed, problem=problem, outsider=outsider, store=store)
        self.cases.append(case)
        return case

    # --------------------------------------------------------------- setup

    def _users(self) -> None:
        from hejie.accounts.services import consumer_get_or_create, user_create

        self.admin = user_create(username=ADMIN_USERNAME, password=ADMIN_PASSWORD, role="operator",
                                 display_name="平台运营")
        for username, region, name in COUNCILS:
            self.council[username] = user_create(username=username, password=STAFF_PASSWORD, role="council",
                                                 region_code=region, display_name=name)
        self.consumers = [consumer_get_or_create(phone=phone) for phone in CONSUMER_PHONES]

    def _plan_businesses(self) -> None:
        from hejie.accounts.services import user_create
        from hejie.businesses import services as biz_services

        rng = random.Random(f"{SEED}-businesses")
        for spec in BUSINESSES:
            days_ago = {"applied": (3, 12), "approve_later": (14, 20)}.get(spec.plan, (95, 130))
            applied_at = self.now - dt.timedelta(days=rng.uniform(*days_ago))
            contact_phone = _contact_phone(rng, spec.region)

            def apply(spec=spec, contact_phone=contact_phone):
                from hejie.businesses.names import initials_for

                self.biz[spec.n] = biz_services.business_apply(
                    applicant=self.admin, name=spec.name, credit_code=self.codes[spec.n], industry=spec.industry,
                    region_code=spec.region, address=spec.address, contact_name=spec.contact,
                    contact_phone=contact_phone, contact_email=f"kefu.{initials_for(spec.name)}@example.com",
                    stores=[{"name": n, "region_code": r, "address": a} for n, r, a in spec.stores],
                )
                if spec.n in STAFFED:
                    self.staff[spec.n] = self.staff_by_pk[self.biz[spec.n].pk] = user_create(
                        username=f"biz_{spec.n}", password=STAFF_PASSWORD, role="business",
                        business_credit_code=self.codes[spec.n], display_name=f"{spec.name} {spec.contact}",
                        is_business_admin=True,
                    )

            self.at(applied_at, f"business {spec.n} applies", apply)
            if spec.plan in ("applied",):
                continue
            if spec.plan == "approve_later":
                approve_at = self.now - dt.timedelta(days=4.5) if spec.n != LATE_FARM else None
            else:
                approve_at = applied_at + dt.timedelta(hours=rng.uniform(4, 72))
            if approve_at is not None:
                self._approve(spec.n, approve_at)
            for i, (name, region, address) in enumerate(spec.later_stores):

                def add_store(spec=spec, name=name, region=region, address=address):
                    # the business's own admin where it has one, otherwise the operator
                    actor = self.staff.get(spec.n, self.admin)
                    biz_services.store_add(actor=actor, business=self.biz[spec.n], name=name, region_code=region,
                                           address=address)

                self.at((approve_at or applied_at) + dt.timedelta(days=3 + 7 * i), f"business {spec.n} adds a store",
                        add_store)

    def _approve(self, n: int, when: dt.datetime) -> None:
        from hejie.businesses import services as biz_services

        spec = BUSINESSES[n - 1]

        def approve():
            actor = self.admin if spec.approver == "admin" else self.council[spec.approver]
            biz_services.business_approve(actor=actor, business=self.biz[n])

        self.at(when, f"business {n} approved", approve)

    # --------------------------------------------------------------- the stories

    def _plan_stories(self) -> None:
        rng = self.rng
        # ---- settled, in every star tier
        for tier, count, lo in ((5, 16, 1.5), (4, 12, 4), (3, 9, 8.5), (2, 6, 15)):
            for _ in range(count):
                c = self.case(f"settled {tier}★", "settled", business=self.pick_business(), filed=self.ago(lo, 58))
                c.file().settle(tier).aftercare(tier)
        # ---- settled, then not fulfilled: mediation
        c = self.case("settled, not fulfilled, mediating", "mediating", business=self.pick_business(),
                      filed=self.ago(12, 40))
        c.file().settle(4).fulfil(self.days(1, 2)).confirm(self.days(1, 3), ok=False,
                                                           note="商家说已退款，但至今没有收到，银行流水里也没有。")
        c.mediate(self.days(0.2, 1), reason="和解方案约定的退款一直没有到账，申请消委调解。")
        c.council_msg(self.hours(3, 20))

        # ---- failed: the business refuses
        for _ in range(4):
            c = self.case("failed: refused", "failed", business=self.pick_business(failing=True),
                          filed=self.ago(4.5, 55))
            c.file().respond(self.hours(1, 8))
            if rng.random() < 0.5:
                c.offer(self.hours(2, 20), share=0.3).reject(self.hours(2, 20), counter=True)
            else:
                c.evidence(self.hours(1, 5), who="business")
            c.refuse(self.days(0.5, 2)).maybe_rate(self.days(0.2, 2), rng.choice([1, 1, 2]), p=0.6)
        # ---- failed: 14 days pass without a settlement (the business did answer)
        for _ in range(4):
            c = self.case("failed: 14 days", "failed", business=self.pick_business(failing=True),
                          filed=self.ago(16, 58))
            c.file().respond(self.hours(2, 20)).offer(self.days(0.5, 1.5), share=0.4)
            c.reject(self.hours(6, 30), counter=True).biz_msg(self.days(1, 2), rng.choice(BIZ_FOLLOWUPS))
            c.con_msg(self.days(1, 3), rng.choice(CONSUMER_FOLLOWUPS)).expire().maybe_rate(self.days(0.1, 2), 1, p=0.5)

        # ---- the prepaid-card KTV that closed: three failures in 90 days, candidate, suspended
        ktv = PREPAID_KTV
        c = self.case("KTV closes: refused", "failed", business=ktv, filed=self.ago(50, 52), problem="prepaid_card")
        c.file().respond(self.hours(3, 10), "门店正在装修，暂停营业，卡内余额可以转到我们的合作门店继续使用。")
        c.con_msg(self.hours(1, 5), "合作门店离我家二十多公里，我要求退款。").refuse(self.days(1, 2), REFUSE_REASONS[1])
        c.maybe_rate(self.days(0.5, 1), 1, p=1)
        c = self.case("KTV closes: mediation failed", "mediation_failed", business=ktv, filed=self.ago(44, 45.5),
                      problem="prepaid_card")
        c.file().respond(self.hours(4, 12)).offer(self.hours(5, 20), amount=0, terms="卡内余额转入合作门店会员卡，"
                                                  "另赠送欢唱时长2小时。")
        c.reject(self.hours(2, 8), counter=True).refuse(self.days(1, 2), REFUSE_REASONS[1])
        c.mediate(self.days(0.5, 1), reason="门店已经停业，多名会员的余额都退不了，请消委介入。")
        c.council_msg(self.hours(4, 20)).mediation_end(self.days(5, 7), "failed")
        c.maybe_rate(self.days(0.2, 1), 1, p=1)
        c = self.case("KTV closes: 14 days", "failed", business=ktv, filed=self.ago(40, 41), problem="prepaid_card")
        c.file().respond(self.hours(20, 23), "已登记，等总部统一处理。").con_msg(self.days(2, 3), CONSUMER_FOLLOWUPS[1])
        c.expire()
        self.failures[ktv] = 3

        def suspend():
            from hejie.businesses.services import business_suspend

            business_suspend(actor=self.council["council_wuhan"], business=self.biz[ktv],
                             reason="门店已停业，多名消费者预付卡余额无法退还，14天内三次和解失败，暂停入驻待核查。")

        self.at(self.now - dt.timedelta(days=23, hours=5), "business 54 suspended", suspend)

        def publish_ktv():  # the council publishes the candidate; the KTV appeals later
            from hejie.ratings import lists
            from hejie.ratings.models import BlacklistEntry

            entry = BlacklistEntry.objects.get(business=self.biz[ktv], status="candidate")
            lists.blacklist_publish(actor=self.council["council_wuhan"], entry=entry,
                                    reason="预付卡门店停业，三起投诉和解失败，多名会员余额无法退还。整改前公示。")

        def appeal_ktv():
            from hejie.ratings import lists
            from hejie.ratings.models import BlacklistEntry

            entry = BlacklistEntry.objects.get(business=self.biz[ktv], status="published")
            lists.blacklist_appeal(
                actor=self.staff[ktv], entry=entry,
                text="我店已与新址合作门店签订协议，会员可凭卡全额退还余额，三位投诉的消费者均已联系退款。"
                     "附退款凭证，申请移出黑榜。",
                files=[("退款凭证.pdf", _evidence_pdf(["退款凭证", "会员卡余额退还三笔", "已全部到账"], 54))])

        self.at(self.now - dt.timedelta(days=22, hours=3), "KTV published on the black list", publish_ktv)
        self.at(self.now - dt.timedelta(days=2, hours=6), "the KTV appeals", appeal_ktv)
        c = self.case("KTV suspended: queued", "pending_review", business=ktv, filed=self.ago(2, 6),
                      problem="prepaid_card")
        c.file()

        # ---- the net café that never answers: black-list candidate
        c = self.case("never taken up", "failed", business=SILENT_NETCAFE, filed=self.ago(30, 38))
        c.file().evidence(self.hours(0.1, 0.5)).expire().maybe_rate(self.days(0.5, 2), 1, p=1)
        c = self.case("never taken up, council mediates", "mediating", business=SILENT_NETCAFE,
                      filed=self.ago(16, 22))
        c.file().con_msg(self.days(2, 4), "已经好几天了，商家一直没有回复。").expire()
        c.mediate(self.days(0.5, 1.5), by="council", reason="经营者送达后14天未受理，消委主动介入调解。")

        # ---- mediation after a failure: in progress, succeeded, failed
        for _ in range(2):
            c = self.case("refused, mediating", "mediating", business=self.pick_business(failing=True),
                          filed=self.ago(6, 28))
            c.file().respond(self.hours(1, 10)).refuse(self.days(0.5, 2)).mediate(
                self.days(0.5, 3), reason="商家拒绝和解，申请消委调解。").council_msg(self.hours(2, 24), optional=True)
        c = self.case("14 days, mediating", "mediating", business=self.pick_business(failing=True),
                      filed=self.ago(20, 40))
        c.file().respond(self.hours(3, 20)).offer(self.days(1, 2), share=0.3).reject(self.hours(3, 30), counter=True)
        c.expire().mediate(self.days(1, 5), reason="14天内没有谈拢，申请消委调解。")
        for i in range(4):
            c = self.case("mediated", "mediated", business=self.pick_business(failing=True),
                          filed=self.ago(14 if i < 2 else 27, 58))
            c.file().respond(self.hours(1, 10))
            if i < 2:
                c.refuse(self.days(0.5, 2))
            else:
                c.offer(self.days(0.5, 1), share=0.3).reject(self.hours(3, 20), counter=True).expire()
            c.mediate(self.days(0.3, 3), reason="申请消委组织三方调解。").council_msg(self.hours(2, 20))
            c.biz_msg(self.hours(3, 30), "我们愿意配合调解，可以再让一步。")
            c.mediation_end(self.days(2, 6), "settled")
            c.fulfil(self.days(1, 3), optional=True).confirm(self.days(0.5, 2), optional=True)
            c.maybe_rate(self.days(0.1, 1), rng.choice([3, 4, 4, 5]), p=0.7)
        for _ in range(2):
            c = self.case("mediation failed", "mediation_failed", business=self.pick_business(failing=True),
                          filed=self.ago(13, 58))
            c.file().respond(self.hours(1, 10)).refuse(self.days(0.5, 2))
            c.mediate(self.days(0.3, 3), reason="商家拒绝和解，申请消委调解。").council_msg(self.hours(2, 20))
            c.mediation_end(self.days(2, 6), "failed").maybe_rate(self.days(0.1, 1), rng.choice([1, 2]), p=0.5)

        # ---- withdrawn
        c = self.case("queued, withdrawn", "withdrawn", outsider=9, filed=self.ago(4, 30))
        c.file().withdraw(self.days(0.5, 2))
        for _ in range(2):
            c = self.case("delivered, withdrawn", "withdrawn", business=self.pick_business(), filed=self.ago(1, 50))
            c.file().withdraw(self.hours(1, 20))
        for _ in range(2):
            c = self.case("negotiating, withdrawn", "withdrawn", business=self.pick_business(), filed=self.ago(3, 50))
            c.file().respond(self.hours(1, 10)).con_msg(self.hours(1, 10), rng.choice(CONSUMER_FOLLOWUPS))
            c.withdraw(self.days(0.5, 2))

        # ---- consumer unresponsive: an offer waits 7 days
        for _ in range(4):
            c = self.case("unresponsive", "unresponsive", business=self.pick_business(), filed=self.ago(10, 50))
            c.file().respond(self.hours(1, 10)).offer(self.hours(3, 36), share=rng.choice([0.7, 1.0]))
            c.until(c.t + 7 * D + H)

        # ---- negotiating now
        for _ in range(5):  # talking, no offer yet
            c = self.case("negotiating: messages", "negotiating", business=self.pick_business(),
                          filed=self.ago(1.2, 5))
            c.file().respond(self.hours(0.5, 18)).con_msg(self.hours(0.5, 6), rng.choice(CONSUMER_FOLLOWUPS))
            c.biz_msg(self.hours(1, 8), rng.choice(BIZ_FOLLOWUPS), optional=True)
        for _ in range(4):  # an offer waits on the consumer
            c = self.case("negotiating: offer pending", "negotiating", business=self.pick_business(),
                          filed=self.ago(1.5, 5.5))
            c.file().respond(self.hours(0.5, 10)).offer(self.hours(2, 20), share=rng.choice([0.5, 0.8]))
        for _ in range(4):  # the consumer rejected it with a counter-offer; the business has not answered yet
            c = self.case("negotiating: counter-offer", "negotiating", business=self.pick_business(),
                          filed=self.ago(3, 8))
            c.file().respond(self.hours(1, 12)).offer(self.hours(2, 24), share=0.5)
            c.reject(self.hours(1, 24), counter=True)
        for _ in range(3):  # …and the business has made a new offer
            c = self.case("negotiating: new offer after counter", "negotiating", business=self.pick_business(),
                          filed=self.ago(3.5, 6.5))
            c.file().respond(self.hours(1, 12)).offer(self.hours(2, 20), share=0.4)
            c.reject(self.hours(1, 20), counter=True).offer(self.hours(3, 24), share=0.8)
        for i in range(2):  # slow ones: automatic urge at day 7, a council urge, acknowledged
            c = self.case("negotiating: urged", "negotiating", business=self.pick_business(), filed=self.ago(9, 12.5))
            c.file().respond(self.hours(20, 23)).offer(self.days(1, 2), share=0.3)
            c.reject(self.hours(5, 30), counter=True)
            c.until(c.delivered + 7 * D + self.hours(2, 10)).urge(self.hours(1, 6))
            if i == 0:
                c.ack(self.hours(1, 8))

        # ---- delivered, no reply yet
        for _ in range(7):  # fresh: within the first 24 hours
            c = self.case("delivered: fresh", "delivered", business=self.pick_business(), filed=self.ago(0.04, 0.9))
            c.file()
            if rng.random() < 0.5:
                c.evidence(self.hours(0.05, 0.3), optional=True)
        for i in range(5):  # overdue: past 24 hours, urged automatically; some by the council too
            lo, hi = ((7.2, 9) if i == 4 else (1.5, 3))
            c = self.case("delivered: overdue", "delivered", business=self.pick_business(), filed=self.ago(lo, hi))
            c.file()
            if i in (1, 2, 4):
                c.until(c.delivered + self.hours(26, 28)).urge(self.hours(0, 1))
            if i in (2, 4):
                c.ack(self.hours(0.5, 3))

        # ---- a surge: a food-poisoning night at a quiet grill house, six complaints within a day
        for _ in range(6):
            c = self.case("surge: food safety", "delivered", business=SURGE_GRILL, filed=self.ago(0.05, 0.9),
                          problem="safety")
            c.file()

        # ---- the council's queue: not on the platform, applying, suspended
        for i, outsider in enumerate((0, 1, 8)):
            self.case("queued: not on the platform", "pending_review", outsider=outsider,
                      filed=self.ago(0.2, 0.9) if i else self.ago(1, 4)).file()
        self.case("queued: business applying", "pending_review", business=13, filed=self.ago(0.5, 2)).file()
        self.case("queued: business applying", "pending_review", business=35, filed=self.ago(0.3, 2)).file()
        for outsider in (5, 6, 10, 11):
            c = self.case("rejected", "rejected", outsider=outsider, filed=self.ago(3, 50))
            c.file().reject_review(self.days(0.3, 2))
        for outsider, ext in ((3, 0), (2, 1), (4, 2)):
            c = self.case("forwarded elsewhere", "rejected", outsider=outsider, filed=self.ago(3, 50))
            c.file().forward_external(self.days(0.3, 2), *EXTERNAL[ext])
        # forwarded to a business on the platform under another name
        c = self.case("forwarded to the business, settled", "settled", outsider=7, filed=self.ago(20, 40))
        c.file().forward(self.hours(5, 30), 1, "消费者所称“老通城豆皮（大智路）”即平台商户汉口老通城豆皮馆，转交处理。")
        c.settle(4).aftercare(4)
        # filed while the farm was applying; approved; forwarded
        c = self.case("forwarded after approval", "negotiating", business=LATE_FARM, filed=self.ago(6, 6.8))
        c.file().approve_business(self.days(1.5, 2))
        c.forward(self.hours(1, 5), LATE_FARM, "商户已通过入驻审核，转交处理。")
        c.respond(self.hours(1, 8)).offer(self.hours(2, 12), share=0.7)

    # --------------------------------------------------------------- run

    def load(self) -> None:
        self._users()
        self._plan_businesses()
        self._plan_stories()
        self._run()
        self._partners_and_standards()

    def _partners_and_standards(self) -> None:
        """The Hubei launch: a delivery platform brought the 55 businesses; an
        industry association published the service standards of the four industries."""
        from hejie.businesses.models import Business
        from hejie.partners.services import partner_apply, partner_approve
        from hejie.standards import services as std

        approver = self.council["council_hubei"]
        platform = partner_apply(applicant=None, name=DEMO_PLATFORM, kind="platform", region_code="420000")
        partner_approve(actor=approver, partner=platform, onboard_status="active")
        # The 55 joined through the platform's campaign (their stories above start from their applications).
        Business.objects.filter(credit_code__in=list(self.codes.values())).update(partner=platform)
        association = partner_apply(applicant=None, name=DEMO_ASSOCIATION, kind="association", region_code="420000",
                                    industries=[industry for industry, _, _ in DEMO_STANDARDS])
        partner_approve(actor=approver, partner=association)
        for industry, title, clauses in DEMO_STANDARDS:
            standard = std.standard_create(actor=self.admin, industry=industry, title=title,
                                           publisher_name=association.name, publisher=association)
            version = std.version_draft(actor=self.admin, standard=standard)
            for number, text in clauses:
                std.clause_set(actor=self.admin, standard=standard, version=version.version, number=number, text=text)
            std.version_publish(actor=self.admin, standard=standard, version=version.version)

    def mismatches(self) -> list[str]:
        out = []
        for case in self.cases:
            case.complaint.refresh_from_db(fields=["state"])
            if case.complaint.state != case.expect:
                out.append(f"{case.complaint.number} ({case.story}): expected {case.expect}, "
                           f"got {case.complaint.state}")
        return out


class Case:
    """One order's story: steps at increasing moments, run later in global time order."""

    def __init__(self, demo: Demo, story: str, expect: str, *, business: int | None, consumer: int,
                 filed: dt.datetime, problem: str | None, outsider: int | None, store: bool | None):
        self.d = demo
        self.story = story
        self.expect = expect
        self.business_n = business
        self.consumer_i = consumer
        self.outsider = outsider
        self.t = filed
        self.delivered = filed  # moved by forward()
        self.cut = False  # an optional step fell past now: the rest of the optional ones are skipped
        self.complaint = None
        self.offer_id = None
        self.last_amount: Decimal | None = None
        self.index = len(demo.cases) + 1
        rng = demo.rng
        if outsider is None:
            spec = BUSINESSES[business - 1]
            self.text = compose(rng, spec.industry, filed, problem=problem)
            has_stores = bool(spec.stores or spec.later_stores)
            self.use_store = has_stores and (rng.random() < 0.6 if store is None else store)
            self.ref = demo.order_ref(spec.industry) if rng.random() < 0.8 else ""
            same = [k for k in demo.cases if (k.consumer_i, k.business_n, k.text.problem, k.ref)
                    == (consumer, business, self.text.problem, "")]
            if not self.ref and same:  # one open complaint per consumer and matter: keep them apart
                self.ref = demo.order_ref(spec.industry)
        else:
            name, region, problem_, claim, desc, amount = OUTSIDERS[outsider]
            amount = Decimal(amount) if amount else None
            self.text = Text(problem_, claim, desc, amount, amount, None)
            self.use_store = False
            self.ref = ""
        self.claim = self.text.claim_amount

    # ---- plumbing

    @property
    def consumer(self):
        return self.d.consumers[self.consumer_i]

    @property
    def staff(self):
        user = self.d.staff_by_pk.get(self.complaint.business_id)
        if user is None:
            raise DemoError(f"demo script error: the business of story {self.story!r} has no staff account")
        return user

    @property
    def council(self):
        return self.d.council_for(self.complaint)

    def _step(self, delay: dt.timedelta, what: str, fn: Callable[[], None], *, optional: bool = False) -> Case:
        if self.cut:
            return self
        when = self.t + delay
        if optional and when >= self.d.limit:
            self.cut = True
            return self
        self.t = when
        self.d.at(when, f"order {self.index} ({self.story}): {what}", fn)
        return self

    def until(self, moment: dt.datetime) -> Case:
        """Let time pass (the sweep acts meanwhile)."""
        self.t = max(self.t, moment)
        return self

    def _amount(self, share: float | None) -> Decimal | None:
        if self.claim is None or share is None:
            return None
        return _money(self.claim * Decimal(str(share)))

    # ---- intake

    def file(self) -> Case:
        def run():
            from hejie.businesses.models import Store
            from hejie.complaints.services import complaint_submit

            t = self.text
            kwargs = {}
            if self.outsider is not None:
                name, region = OUTSIDERS[self.outsider][:2]
                kwargs.update(business_name=name, region_code=region)
            else:
                business = self.d.biz[self.business_n]
                kwargs["business_id"] = business.pk
                if self.use_store:
                    stores = list(Store.objects.filter(business=business, is_active=True).order_by("pk"))
                    if stores:
                        kwargs["store_id"] = self.d.rng.choice(stores).pk
            self.complaint = complaint_submit(
                consumer=self.consumer, problem_type=t.problem, description=t.description, claim_type=t.claim,
                claim_amount=t.claim_amount, purchase_amount=t.purchase, purchase_date=t.purchase_date,
                order_ref=self.ref, **kwargs,
            )

        self._step(dt.timedelta(0), "file", run)
        if self.d.rng.random() < 0.35 and self.outsider is None:
            self.evidence(self.d.hours(0.05, 0.5), optional=True)
        return self

    def evidence(self, delay, *, who: str = "consumer", optional: bool = False) -> Case:
        seed = self.d.rng.randrange(10**9)
        pdf = self.text.problem == "safety" and who == "consumer"

        def run():
            from hejie.complaints.evidence import evidence_add

            c = self.complaint
            amount = f"{self.text.purchase:.2f}" if self.text.purchase else "-"
            lines = ["HEJIE DEMO  *  RECEIPT / XIAOPIAO", f"Order {c.number}", f"Ref   {c.order_ref or '-'}",
                     f"Date  {c.created_at.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M}", f"Total CNY {amount}",
                     "Thank you"]
            if pdf:
                data, name = _evidence_pdf(["OUTPATIENT INVOICE (MENZHEN FAPIAO)", *lines[1:4],
                                            f"Medical CNY {self.claim or '-'}"], seed), "门诊发票.pdf"
            elif who == "business":
                data, name = _evidence_image(["CCTV STILL / JIANKONG JIETU", *lines[1:4]], seed), "监控截图.png"
            else:
                name = self.d.rng.choice(["小票.png", "订单截图.png", "现场照片.png"])
                data = _evidence_image(lines, seed)
            actor = self.consumer if who == "consumer" else self.staff
            evidence = evidence_add(actor=actor, complaint=c.pk, name=name, data=data)
            c.refresh_from_db(fields=["state"])
            if c.state != "pending_review":
                from hejie.complaints.services import message_post

                body = ("已上传消费凭证，请核实。" if who == "consumer"
                        else "附上当天的监控截图，顾客用餐时并未提出异议。")
                message_post(actor=actor, complaint=c.pk, body=body, evidence_id=evidence.pk)

        return self._step(delay, f"evidence by {who}", run, optional=optional)

    def forward(self, delay, business_n: int, note: str) -> Case:
        def run():
            from hejie.complaints.services import complaint_forward

            complaint_forward(actor=self.council, complaint=self.complaint.pk, business_id=self.d.biz[business_n].pk,
                              note=note)
            self.complaint.refresh_from_db()

        self._step(delay, "forward to the business", run)
        self.delivered = self.t
        self.business_n = business_n
        return self

    def forward_external(self, delay, to: str, note: str) -> Case:
        def run():
            from hejie.complaints.services import complaint_forward

            complaint_forward(actor=self.council, complaint=self.complaint.pk, external=to, note=note)

        return self._step(delay, "forward elsewhere", run)

    def reject_review(self, delay) -> Case:
        reason = self.d.rng.choice(REJECT_REVIEW_REASONS)

        def run():
            from hejie.complaints.services import complaint_reject

            complaint_reject(actor=self.council, complaint=self.complaint.pk, reason=reason)

        return self._step(delay, "council rejects", run)

    def approve_business(self, delay) -> Case:
        self.t += delay
        self.d._approve(self.business_n, self.t)
        return self

    # ---- negotiation

    def respond(self, delay, body: str | None = None) -> Case:
        body = body or self.d.rng.choice(BIZ_FIRST_REPLIES)
        return self.biz_msg(delay, body)

    def biz_msg(self, delay, body: str, *, optional: bool = False) -> Case:
        def run():
            from hejie.complaints.services import message_post

            message_post(actor=self.staff, complaint=self.complaint.pk, body=body)

        return self._step(delay, "business message", run, optional=optional)

    def con_msg(self, delay, body: str, *, optional: bool = False) -> Case:
        def run():
            from hejie.complaints.services import message_post

            message_post(actor=self.consumer, complaint=self.complaint.pk, body=body)

        return self._step(delay, "consumer message", run, optional=optional)

    def council_msg(self, delay, body: str | None = None, *, optional: bool = False) -> Case:
        def run():
            from hejie.complaints.services import message_post

            council = self.council
            mediator = council.display_name.split()[-1]
            text = body or (f"您好，我是{council.region.name}消委调解员{mediator}，已受理本案调解申请。"
                            "请双方在三日内补充提交相关证据，我们将组织线上三方调解。")
            message_post(actor=council, complaint=self.complaint.pk, body=text)

        return self._step(delay, "council message", run, optional=optional)

    def offer(self, delay, *, share: float | None = None, amount=None, terms: str | None = None) -> Case:
        rng = self.d.rng
        if amount is None:
            amount = self._amount(share)
        if terms is None:
            if self.text.claim == "apology" or amount is None:
                terms = "店长已对当班员工进行批评教育，现向您郑重道歉，并赠送一张100元代金券，欢迎您再次监督。"
            elif self.claim is not None and amount >= self.claim:
                terms = f"同意您的诉求，全额退还{amount}元，三个工作日内原路退回，对给您带来的不便深表歉意。"
            else:
                terms = rng.choice([
                    f"经核实，愿意退还{amount}元，另赠送价值50元的代金券一张，三个工作日内原路退回。",
                    f"愿意一次性补偿{amount}元，款项三个工作日内转入您的账户。",
                    f"考虑到实际情况，我们可以退还{amount}元，希望您能理解。",
                ])
        self.last_amount = amount

        def run():
            from hejie.complaints.services import proposal_make

            self.offer_id = proposal_make(actor=self.staff, complaint=self.complaint.pk, terms=terms,
                                          amount=amount).pk

        return self._step(delay, "offer", run)

    def reject(self, delay, *, counter: bool) -> Case:
        rng = self.d.rng
        reason = rng.choice(REJECT_REASONS)
        counter_terms = counter_amount = ""
        if counter:
            if self.claim is not None:
                counter_amount = self.claim
                counter_terms = f"请按我的实际损失退还{self.claim}元，可以不要代金券。"
            else:
                counter_terms = "希望店长当面道歉，并保证以后不再发生类似情况。"

        def run():
            from hejie.complaints.services import proposal_reject

            proposal_reject(actor=self.consumer, complaint=self.complaint.pk, proposal_id=self.offer_id,
                            reason=reason, counter_terms=counter_terms, counter_amount=counter_amount or None)

        return self._step(delay, "reject the offer" + (" with a counter" if counter else ""), run)

    def accept(self, delay) -> Case:
        def run():
            from hejie.complaints.services import proposal_accept

            proposal_accept(actor=self.consumer, complaint=self.complaint.pk, proposal_id=self.offer_id)

        return self._step(delay, "accept", run)

    def settle(self, tier: int) -> Case:
        """Talk and settle so that the case scores ``tier`` stars."""
        hours, days = self.d.hours, self.d.days
        if tier == 5:  # within 24 h
            self.respond(hours(0.2, 3))
            if self.d.rng.random() < 0.4:
                self.con_msg(hours(0.2, 2), self.d.rng.choice(CONSUMER_FOLLOWUPS))
            self.offer(hours(0.5, 4), share=1.0).accept(hours(0.5, 8))
        elif tier == 4:  # within 3 days
            self.respond(hours(3, 20)).offer(hours(8, 16), share=0.6)
            self.reject(hours(4, 12), counter=True).offer(hours(4, 10), share=1.0).accept(hours(6, 10))
        elif tier == 3:  # within 7 days
            self.respond(hours(30, 40)).offer(days(1, 1.5), share=0.5).reject(hours(5, 20), counter=True)
            self.biz_msg(hours(5, 20), self.d.rng.choice(BIZ_FOLLOWUPS)).offer(hours(5, 20), share=0.9)
            self.accept(hours(4, 20))
        else:  # within 14 days, after the day-7 urges
            self.respond(days(1.1, 2)).offer(days(0.5, 1), share=0.3).reject(hours(5, 20), counter=True)
            self.until(self.delivered + 7 * D + hours(1, 12)).urge(hours(0.5, 4)).ack(hours(1, 10))
            self.offer(days(0.5, 1.5), share=0.8).accept(days(0.5, 2))
        return self

    def aftercare(self, tier: int) -> Case:
        """Fulfil, confirm and rate, as far as there is time for it."""
        rng = self.d.rng
        r = rng.random()
        if r < 0.75:
            self.fulfil(self.d.days(0.2, 2), optional=True)
            if r < 0.55:
                self.confirm(self.d.days(0.2, 1.5), optional=True)
                stars = max(1, min(5, tier + rng.choice([-1, 0, 0, 1]) - (1 if tier == 2 else 0)))
                self.maybe_rate(self.d.hours(0.1, 12), stars, p=0.75)
        elif r < 0.85:
            self.maybe_rate(self.d.days(0.2, 2), max(1, tier - 1), p=1)
        return self

    def refuse(self, delay, reason: str | None = None) -> Case:
        reason = reason or self.d.rng.choice(REFUSE_REASONS)

        def run():
            from hejie.complaints.services import complaint_refuse

            complaint_refuse(actor=self.staff, complaint=self.complaint.pk, reason=reason)

        return self._step(delay, "refuse", run)

    def expire(self) -> Case:
        """Let the 14 days pass: the sweep ends the reconciliation."""
        return self.until(self.delivered + 14 * D + self.d.hours(0.5, 3))

    def withdraw(self, delay) -> Case:
        reason = self.d.rng.choice(WITHDRAW_REASONS)

        def run():
            from hejie.complaints.services import complaint_withdraw

            complaint_withdraw(actor=self.consumer, complaint=self.complaint.pk, reason=reason)

        return self._step(delay, "withdraw", run)

    # ---- urging

    def urge(self, delay) -> Case:
        note = self.d.rng.choice(URGE_NOTES)

        def run():
            from hejie.complaints.services import complaint_urge

            complaint_urge(actor=self.council, complaint=self.complaint.pk, note=note)

        return self._step(delay, "council urges", run)

    def ack(self, delay) -> Case:
        def run():
            from hejie.complaints.models import Urge
            from hejie.complaints.services import urge_acknowledge

            for pk in Urge.objects.filter(complaint_id=self.complaint.pk, acknowledged_at__isnull=True).values_list(
                    "pk", flat=True):
                urge_acknowledge(actor=self.staff, urge_id=pk)

        return self._step(delay, "business acknowledges urges", run)

    # ---- after the outcome

    def mediate(self, delay, *, by: str = "consumer", reason: str = "") -> Case:
        def run():
            from hejie.complaints.services import mediation_request

            actor = self.consumer if by == "consumer" else self.council
            mediation_request(actor=actor, complaint=self.complaint.pk, reason=reason)

        return self._step(delay, f"mediation requested by {by}", run)

    def mediation_end(self, delay, outcome: str) -> Case:
        amount = self._amount(0.8) if outcome == "settled" else None
        if outcome == "settled":
            terms = (f"经消委调解，双方自愿达成协议：经营者于五个工作日内向消费者退还{amount}元，消费者不再就此事追究。"
                     if amount is not None else "经消委调解，经营者向消费者书面道歉，并承诺加强员工培训。")
        else:
            terms = "双方分歧较大，经营者不同意退款，调解未能达成一致。"

        def run():
            from hejie.complaints.services import mediation_record_outcome

            mediation_record_outcome(actor=self.council, complaint=self.complaint.pk, outcome=outcome, terms=terms,
                                     amount=amount)

        return self._step(delay, f"mediation {outcome}", run)

    def fulfil(self, delay, *, optional: bool = False) -> Case:
        def run():
            from hejie.complaints.services import fulfilment_mark

            fulfilment_mark(actor=self.staff, complaint=self.complaint.pk)

        return self._step(delay, "business fulfils", run, optional=optional)

    def confirm(self, delay, *, ok: bool = True, note: str = "", optional: bool = False) -> Case:
        def run():
            from hejie.complaints.services import fulfilment_confirm

            fulfilment_confirm(actor=self.consumer, complaint=self.complaint.pk, fulfilled=ok,
                               note=note or ("款项已收到。" if ok else ""))

        return self._step(delay, "consumer confirms fulfilment" if ok else "consumer says not fulfilled", run,
                          optional=optional)

    def maybe_rate(self, delay, stars: int, *, p: float) -> Case:
        if self.d.rng.random() >= p:
            return self
        comment = self.d.rng.choice(RATING_COMMENTS[stars])

        def run():
            from hejie.complaints.services import complaint_rate

            complaint_rate(actor=self.consumer, complaint=self.complaint.pk, satisfaction=stars, comment=comment)

        return self._step(delay, "rate", run, optional=True)


# ============================================================================ public API


def demo_businesses():
    from hejie.businesses.models import Business

    return Business.objects.filter(credit_code__in=credit_codes().values())


def is_loaded() -> bool:
    from hejie.accounts.models import User

    return User.objects.filter(username=ADMIN_USERNAME).exists() and demo_businesses().count() == len(BUSINESSES)


def _obstacles() -> list[str]:
    """Things in the database that would collide with the demo."""
    from hejie.accounts.models import User
    from hejie.complaints.models import Policy

    found = []
    names = [ADMIN_USERNAME, *(u for u, _, _ in COUNCILS), *(f"biz_{n}" for n in STAFFED)]
    taken = sorted(User.objects.filter(username__in=names).values_list("username", flat=True))
    if taken:
        found.append(f"users already exist: {', '.join(taken)}")
    codes = demo_businesses().count()
    if codes:
        found.append(f"{codes} of the demo businesses already exist")
    policy = Policy.objects.filter(pk=1).first()
    if policy is not None:
        default = Policy()
        changed = [f for f in ("first_response_hours", "settle_days", "score_tiers", "auto_urges",
                               "consumer_silence_days", "consumer_reminder_hours", "mediation_request_days",
                               "blacklist_failed_count", "blacklist_window_days")
                   if getattr(policy, f) != getattr(default, f)]
        if changed:
            found.append(f"the time rules differ from the defaults the demo stories are written for: "
                         f"{', '.join(changed)}")
    return found


def load(now: dt.datetime | None = None, *, quiet_notifications: bool = True) -> Result:
    """Load the demo unless it is there already. One transaction: all or nothing."""
    import time

    if is_loaded():
        return Result(loaded=False)
    obstacles = _obstacles()
    if obstacles:
        raise DemoError("the database is not empty enough for the demo: " + "; ".join(obstacles)
                        + ". Load it into a fresh database (e.g. another HEJIE_DATA_DIR).")
    started = time.monotonic()
    hejie_log = logging.getLogger("hejie")
    level = hejie_log.level
    if quiet_notifications:  # thousands of "[sms → …]" lines otherwise; errors still show
        hejie_log.setLevel(logging.WARNING)
    try:
        demo = Demo(now)
        with transaction.atomic():
            demo.load()
            mismatches = demo.mismatches()
    finally:
        hejie_log.setLevel(level)
    return Result(loaded=True, seconds=time.monotonic() - started, mismatches=mismatches)


# ---------------------------------------------------------------------------- what to print


def state_counts() -> list[tuple[str, str, int]]:
    from django.db.models import Count

    from hejie.complaints.models import Complaint
    from hejie.complaints.states import State

    counts = dict(Complaint.objects.values_list("state").annotate(n=Count("id")))
    return [(s.value, s.label, counts.get(s.value, 0)) for s in State]


def signin_rows() -> list[tuple[str, str, str, str]]:
    """(role, username or phone, password or how to sign in, what they will see)."""
    from hejie.accounts.models import User
    from hejie.businesses.models import Business
    from hejie.complaints.models import Complaint, Urge
    from hejie.complaints.states import OPEN_STATES, State
    from hejie.ratings.models import BlacklistEntry

    rows = []
    total = Complaint.objects.count()
    rows.append(("operator 运营", ADMIN_USERNAME, ADMIN_PASSWORD,
                 f"/admin/: everything — {total} orders, {Business.objects.count()} businesses, the time rules"))
    for username, _, _ in COUNCILS:
        user = User.objects.filter(username=username).select_related("region").first()
        if user is None:
            continue
        scope = Complaint.objects.filter(**user.region.subtree_filter())
        queued = scope.filter(state=State.PENDING_REVIEW).count()
        overdue = scope.filter(state=State.DELIVERED, first_response_at__isnull=True,
                               respond_by__lt=clock.now()).count()
        mediating = scope.filter(state=State.MEDIATING).count()
        applying = Business.objects.filter(status="applied", **user.region.subtree_filter("")).count()
        black = BlacklistEntry.objects.filter(status="candidate",
                                              **user.region.subtree_filter("business__")).count()
        rows.append(("council 消委", username, STAFF_PASSWORD,
                     f"{user.region.name}: {scope.count()} orders, {queued} to review, {overdue} overdue, "
                     f"{mediating} in mediation, {applying} applications, {black} black-list candidates"))
    staff = User.objects.filter(role=User.Role.BUSINESS, username__startswith="biz_").select_related("business")
    for user in sorted((u for u in staff if u.username[4:].isdigit()), key=lambda u: int(u.username[4:])):
        orders = Complaint.objects.filter(business_id=user.business_id)
        open_ = orders.filter(state__in=OPEN_STATES).count()
        unack = Urge.objects.filter(complaint__business_id=user.business_id, acknowledged_at__isnull=True).count()
        rating = f", {user.business.star_rating}★" if user.business.star_rating is not None else ""
        rows.append(("business 经营者", user.username, STAFF_PASSWORD,
                     f"{user.business.name} ({user.business.get_status_display().split()[0]}{rating}): "
                     f"{orders.count()} orders, {open_} open, {unack} urges to acknowledge"))
    for phone in CONSUMER_PHONES:
        user = User.objects.filter(phone=phone).first()
        if user is None:
            continue
        mine = Complaint.objects.filter(consumer=user)
        states = Counter(mine.values_list("state", flat=True))
        summary = ", ".join(f"{n} {s}" for s, n in states.most_common())
        rows.append(("consumer 消费者", phone, f"SMS code (in the log) or `hejie token --phone {phone}`",
                     f"{mine.count()} orders: {summary}"))
    return rows

