"""The Hubei launch: its four industries, the 55 businesses and what becomes of
them, the platform that brought them and the association's service standards."""

# ruff: noqa: S311 - the demo wants a seeded, repeatable generator, not a secret one

from __future__ import annotations

import random
from dataclasses import dataclass

from stdnum.cn import uscc

from hejie.ops.demo.base import SEED

LAUNCH_INDUSTRIES = ("catering", "lodging", "tourism", "entertainment")

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


def contact_phone_for(rng: random.Random, region: str) -> str:
    area = _AREA_CODES.get(region[:4], "027")
    digits = 8 if area == "027" else 7
    return f"{area}-{rng.randint(6, 8)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"



def _code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


# A merchant the delivery platform brought that has not claimed its account: its registered
# contact mobile gets the claim invitation (in the log), and a complaint waits for it.
UNCLAIMED = {"name": "江城小龙虾（江汉路店）", "region": "420103", "address": "江汉路步行街 88 号",
             "contact": "王老板", "mobile": "13907130088", "credit_code": _code("91420103MA4KXLX08")}


# A shop that is not on the platform at all: a consumer names it with the owner's mobile, so an
# invited record is made and the claim invitation goes there (in the log).
NAMED = {"name": "汉阳夜市烤串摊", "region": "420105", "mobile": "13907130099"}


def staff_mobile(n: int) -> str:
    """The demo business admin's confirmed mobile (the new-order and urge SMS go there, to the log)."""
    return f"1397100{n:04d}"


def council_mobile(i: int) -> str:
    return f"1380710{i:04d}"
