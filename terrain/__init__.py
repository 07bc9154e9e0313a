"""DEM work: raster I/O, reprojection, hillshade, slope, depression filling, flow routing."""
from terrain.burn import burn_buildings, footprint_mask
from terrain.hydro import (
    D8_NODATA,
    D8_SINK,
    d8_to_esri,
    depression_depth,
    fill_depressions,
    flow_accumulation,
    flow_direction_d8,
)
from terrain.raster import Raster, read_raster, write_raster
from terrain.sample import sample
from terrain.surface import aspect_deg, hillshade, slope_deg
from terrain.warp import align_to, clip, reproject, resample

__all__ = [
    "Raster", "read_raster", "write_raster",
    "reproject", "clip", "resample", "align_to",
    "slope_deg", "aspect_deg", "hillshade",
    "fill_depressions", "depression_depth", "flow_direction_d8", "flow_accumulation",
    "d8_to_esri", "D8_SINK", "D8_NODATA",
    "sample",
    "burn_buildings", "footprint_mask",
]
