"""City overview: the twin's own layers, a PNG map and the city's metrics."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from twin.city import City
from viewers.city_layers import city_layers
from viewers.png import preview_png, save_png
from viewers.spec import Layer


class Params(BaseModel):
    """Parameters of the overview (drawing choices only)."""

    model_config = ConfigDict(extra="forbid")
    show_mesh: bool = Field(True, description="include the reality mesh layer (hidden until toggled)")
    extruded_buildings: bool = Field(True, description="draw buildings as 3-D blocks")


@dataclass
class OverviewResult:
    city: City
    params: Params
    title: str = "City overview"

    def summary(self) -> dict:
        return {"city": self.city.info()}

    def layers(self) -> list[Layer]:
        lays = city_layers(self.city)
        if not self.params.show_mesh:
            lays = [l for l in lays if l.kind != "mesh"]
        for l in lays:
            if l.id == "buildings":
                l.style["extruded"] = self.params.extruded_buildings
        return lays

    def figures(self) -> list[tuple[str, bytes]]:
        return [("Map (EPSG:%s)" % (self.city.crs.to_epsg() or "?"),
                 preview_png([l for l in self.layers() if l.kind != "mesh"], title=self.city.name, size_in=6.0))]

    def save(self, folder: Path) -> list[Path]:
        return [save_png(png, folder / "map.png") for _, png in self.figures()[:1]]


def run(city: City, params: Params, *, progress: bool = False, start: datetime | None = None) -> OverviewResult:
    """Nothing to simulate: wrap the city so the runner can draw and summarise it."""
    return OverviewResult(city, params)
