"""The ``twin`` command: demo, run, info, import-osm, sample.

Errors a user can act on print as one line and exit with status 2; ``--debug``
shows the traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from twin.errors import InputError, TwinError, one_line_warning

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CITY = ROOT / "data_samples" / "chenzhou"
SCENARIOS = ROOT / "scenarios"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="twin", description="CityTwin: digital-twin simulations on a city model.")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="run every scenario in scenarios/ and write out/demo/index.html")
    d.add_argument("--out", default="out", help="output root (default: out)")
    d.add_argument("--jobs", type=int, default=None,
                   help="scenarios run at once in worker processes (default: cores, at most 4; 1 = in this process)")
    r = sub.add_parser("run", help="run one scenario file into out/<name>/")
    r.add_argument("scenario", help="scenario YAML file")
    r.add_argument("--out", default="out", help="output root (default: out)")
    i = sub.add_parser("info", help="print a city's extent, CRS and counts")
    i.add_argument("city", help="city folder (with city.yaml)")
    i.add_argument("--json", action="store_true", help="print JSON")
    o = sub.add_parser("import-osm", help="build a city from an OSM PBF and a DEM GeoTIFF")
    o.add_argument("pbf", help="OSM .osm.pbf file")
    o.add_argument("--dem", required=True, help="DEM GeoTIFF (projected CRS preferred)")
    o.add_argument("--out", required=True, help="city folder to write")
    o.add_argument("--name", default=None, help="city name (default: PBF file stem)")
    o.add_argument("--crs", default=None, help="city CRS when the DEM is geographic (default: CGCS2000 GK zone or UTM)")
    o.add_argument("--mesh", default=None, help="optional reality mesh (OBJ/GLB/PLY) to attach")
    o.add_argument("--mesh-offset", default="0,0,0", help="x0,y0,z0 added to the mesh's local coordinates")
    o.add_argument("--overwrite", action="store_true", help="replace an existing city folder")
    s = sub.add_parser("sample", help="(re)build the embedded sample city")
    s.add_argument("--out", default=str(SAMPLE_CITY), help=f"output folder (default: {SAMPLE_CITY})")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.debug:  # a user's warning is one line; --debug keeps Python's file:line form
        warnings.formatwarning = one_line_warning
    progress = not args.quiet and sys.stderr.isatty()
    try:
        if args.cmd == "demo":
            from twin.demo import default_jobs, run_demo

            jobs = default_jobs() if args.jobs is None else args.jobs
            if jobs < 1:
                raise InputError(f"--jobs {jobs}: expected a whole number >= 1")
            page = run_demo(SCENARIOS, out_root=Path(args.out), progress=progress, jobs=jobs)
            print(f"wrote {page}")
        elif args.cmd == "run":
            from twin.runner import run_scenario

            out = run_scenario(args.scenario, out_root=args.out, progress=progress)
            print(f"wrote {out / 'index.html'}")
        elif args.cmd == "info":
            from twin.city import load_city

            info = load_city(args.city).info()
            if args.json:
                print(json.dumps(info, indent=1, ensure_ascii=False))
            else:
                for k, v in info.items():
                    print(f"{k:>20}: {v}")
        elif args.cmd == "import-osm":
            from twin.osm import import_osm

            city = import_osm(args.pbf, args.dem, name=args.name, crs=args.crs, progress=progress)
            if args.mesh:
                from twin.mesh import load_mesh

                city.mesh = load_mesh(args.mesh, offset=_offset(args.mesh_offset))
            city.save(args.out, overwrite=args.overwrite)
            print(f"wrote {args.out}")
        elif args.cmd == "sample":
            import runpy

            sys.argv = ["build_sample_city.py", args.out]
            runpy.run_path(str(ROOT / "data_samples" / "build_sample_city.py"), run_name="__main__")
        return 0
    except TwinError as exc:
        if args.debug:
            raise
        print(f"twin: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("twin: interrupted (no partial result was published)", file=sys.stderr)
        return 130


def _offset(text: str) -> tuple[float, float, float]:
    try:
        x, y, z = (float(v) for v in text.split(","))
    except ValueError:
        raise TwinError(f"--mesh-offset '{text}': expected three numbers x0,y0,z0") from None
    return x, y, z


if __name__ == "__main__":
    sys.exit(main())
