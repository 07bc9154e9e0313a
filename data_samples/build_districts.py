"""Write the sample city's response districts (``chenzhou_districts.geojson``, EPSG:4547).

SYNTHETIC, like the city: Xijiang is the west bank (west of the river centre line), the east
bank is split into Nanhu (south of v = 2170 m), Beihu (2170-4300 m) and the Industrial Park
(north of 4300 m), the split the sample resources' ``district`` column uses.

Usage: ``python data_samples/build_districts.py [OUT_FILE]``
"""
from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import Polygon

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_sample_city import CRS_EPSG, X0, Y0, river_u  # noqa: E402

SIZE_M = 4800.0


def districts() -> gpd.GeoDataFrame:
    vs = np.linspace(0.0, SIZE_M, 241)
    river = [(float(river_u(v)), float(v)) for v in vs]
    west = Polygon([(0.0, 0.0)] + river + [(0.0, SIZE_M)])
    rows = [("Xijiang", west)]
    for name, v0, v1 in (("Nanhu", 0.0, 2170.0), ("Beihu", 2170.0, 4300.0), ("Industrial Park", 4300.0, SIZE_M)):
        seg = [(float(river_u(v)), float(v)) for v in np.linspace(v0, v1, 121)]
        rows.append((name, Polygon(seg + [(SIZE_M, v1), (SIZE_M, v0)])))
    g = gpd.GeoDataFrame({"name": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=CRS_EPSG)
    return g.set_geometry(g.translate(X0, Y0))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "chenzhou_districts.geojson"
    districts().to_file(out, driver="GeoJSON")
    print(out)
