"""Administrative divisions of mainland China (GB/T 2260), to county level.

Every row knows its province, city and county code (``l1``/``l2``/``l3``:
``None`` where the level does not exist, e.g. the districts of a municipality
hang directly under the province). Orders copy the same three codes, so
"everything under 420100" is one equality on an indexed column
(``region_l2 = '420100'``), as fast with a hundred million orders as with ten.
"""

from django.db import models


class Region(models.Model):
    class Level(models.IntegerChoices):
        PROVINCE = 1, "province"
        CITY = 2, "city"
        COUNTY = 3, "county"

    code = models.CharField(max_length=6, primary_key=True)
    name = models.CharField(max_length=64)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    l1 = models.CharField(max_length=6)
    l2 = models.CharField(max_length=6, null=True, blank=True)
    l3 = models.CharField(max_length=6, null=True, blank=True)
    full_name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.code})"

    @property
    def level_field(self) -> str:
        """The column of an order (or business) that holds this level's code."""
        return f"region_l{self.level}"

    def subtree_filter(self, prefix: str = "") -> dict[str, str]:
        """Filter kwargs selecting rows in this region's subtree, for any model
        that carries ``region_l1/l2/l3`` (possibly behind ``prefix``)."""
        return {f"{prefix}{self.level_field}": self.code}

    def codes(self) -> dict[str, str | None]:
        return {"region_l1": self.l1, "region_l2": self.l2, "region_l3": self.l3}
