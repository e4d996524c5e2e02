from hejie.regions.models import Region


def test_whole_country_loaded_to_county_level(db):
    assert Region.objects.filter(level=1).count() == 33
    assert Region.objects.filter(level=2).count() == 333
    assert Region.objects.filter(level=3).count() == 2845


def test_hubei_has_13_prefectures_and_103_counties(db):
    assert Region.objects.filter(l1="420000", level=2).count() == 13
    # 103 county-level units, including those directly under the province (仙桃 …)
    assert Region.objects.filter(l1="420000", level=3).count() == 103


def test_ancestor_codes(db):
    jiangan = Region.objects.get(code="420102")
    assert (jiangan.l1, jiangan.l2, jiangan.l3) == ("420000", "420100", "420102")
    assert jiangan.full_name == "湖北省武汉市江岸区"
    xiantao = Region.objects.get(code="429004")
    assert (xiantao.l1, xiantao.l2, xiantao.l3) == ("420000", None, "429004")
    dongcheng = Region.objects.get(code="110101")
    assert dongcheng.parent_id == "110000" and dongcheng.l2 is None


def test_subtree_filter_uses_the_level_column(db):
    wuhan = Region.objects.get(code="420100")
    assert wuhan.subtree_filter() == {"region_l2": "420100"}
    assert Region.objects.filter(**{"l2": "420100"}).count() == 1 + 13  # Wuhan and its 13 districts
