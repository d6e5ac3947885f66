"""Campaign plots: bins without gaps, the dispersions a descent run records are the ones it
flew, and every plot of a small real descent and rendezvous campaign drawn, not blank, and
embedded in the campaign's report."""
import numpy as np
import pytest
from pngs import PNG_MAGIC, blank_png_bytes

from gnc import montecarlo, scenario
from gnc.campaign_plotting import bin_edges, named
from gnc.core import vehicle as V
from gnc.programs.ascent.assemble import assemble as ascent_assemble
from gnc.programs.ascent.run import run as run_ascent
from gnc.programs.descent.assemble import assemble, dispersed_inputs
from gnc.programs.rendezvous.assemble import assemble as rendezvous_assemble
from gnc.programs.rendezvous.assemble import dispersed_inputs as rendezvous_dispersed_inputs

IMG = '<img src="data:image/png;base64,'


def _drawn(path):
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 2 * blank_png_bytes(data), path.name


def test_bins_leave_no_run_less_gaps_in_campaigns_of_tens_of_runs():
    empty, fixed_30 = 0, 0
    for seed in range(20):
        v = np.random.default_rng(seed).normal(2.5, 0.05, 40)
        edges = bin_edges(v)
        assert edges[0] == v.min() and edges[-1] == v.max()
        empty += int((np.histogram(v, edges)[0] == 0).sum())
        fixed_30 += int((np.histogram(v, 30)[0] == 0).sum())     # the plots' former bins
    assert empty == 0 and fixed_30 > 100
    assert len(bin_edges(np.full(5, 3.0))) == 2                   # one bin around a constant


def test_limits_are_named_once_with_a_symmetric_pair_as_plus_minus():
    assert named([(3.0, "limit")]) == "limit 3"
    assert named([(-0.05, "limit"), (0.05, "limit")]) == "limit ±0.05"
    assert named([(0.05, "min"), (0.2, "max")]) == "min 0.05, max 0.2"


@pytest.mark.parametrize("seed", [7, 123456])
def test_the_recorded_dispersions_are_the_ones_the_run_flew(seed):
    sc = scenario.load("descent")
    flown, nominal, d = assemble(sc, seed, disperse=True), assemble(sc, seed), dispersed_inputs(sc, seed)
    assert d["mass_kg"] == pytest.approx(flown.vp[V.VP_MASS_WET] - nominal.vp[V.VP_MASS_WET], abs=1e-9)
    assert d["thrust_frac"] == pytest.approx(flown.vp[V.VP_T_SCALE] - 1.0, abs=1e-12)
    assert d["isp_frac"] == pytest.approx(flown.vp[V.VP_ISP] / nominal.vp[V.VP_ISP] - 1.0, abs=1e-12)
    np.testing.assert_allclose(d["pdi_pos_m"], flown.truth_pdi_landing[:3] - nominal.truth_pdi_landing[:3], atol=1e-5)
    np.testing.assert_allclose(d["pdi_vel_mps"], flown.truth_pdi_landing[3:] - nominal.truth_pdi_landing[3:], atol=1e-8)
    assert 0.0 < d["misalignment_deg"] < 1.0 and d["com_offset_m"] > 0.0
    assert np.linalg.norm(d["pdi_pos_m"]) > 1.0                    # drawn, not the nominal


def test_a_descent_campaign_draws_every_plot_a_crash_included(tmp_path):
    c = montecarlo.campaign(scenario.load("descent"), 4, seed=3, jobs=2)
    assert all("dispersed" in r for r in c.runs)
    # one run as a crash that never touched down: its quantities are missing, not a traceback
    c.runs[0] = {**c.runs[0], "outcome": "crashed", "touchdown": None}
    written = montecarlo.write(c, tmp_path / "mc")
    names = {p.name for p in written}
    assert names == {"touchdown_limits.png", "sensitivity.png", "dispersion.png", "montecarlo.json", "run.json",
                     "report.html"}
    for name in ("touchdown_limits.png", "sensitivity.png", "dispersion.png"):
        _drawn(tmp_path / "mc" / name)
    assert (tmp_path / "mc" / "report.html").read_text().count(IMG) == 3


def test_the_rendezvous_records_both_vehicles_dispersions_as_flown():
    sc = scenario.load("rendezvous")
    ascent_sc = scenario.load(sc.get("ascent"))
    seed = 11
    d = rendezvous_dispersed_inputs(sc, seed)
    flown = run_ascent(ascent_sc, seed, True, tel_every=10 ** 9)
    vehicles = {"ascender": (ascent_assemble(ascent_sc, seed, disperse=True).vp, ascent_assemble(ascent_sc, seed).vp),
                "orbiter_returner": (rendezvous_assemble(sc, ascent_sc, flown.final, seed, disperse=True).vpc,
                                     rendezvous_assemble(sc, ascent_sc, flown.final, seed).vpc)}
    for name, (vp, nominal) in vehicles.items():
        assert d[name]["mass_kg"] == pytest.approx(vp[V.VP_MASS_WET] - nominal[V.VP_MASS_WET], abs=1e-9), name
        assert d[name]["thrust_frac"] == pytest.approx(vp[V.VP_T_SCALE] - 1.0, abs=1e-12), name
        assert d[name]["isp_frac"] == pytest.approx(vp[V.VP_ISP] / nominal[V.VP_ISP] - 1.0, abs=1e-12), name
        assert d[name]["mass_kg"] != 0.0, name                       # drawn, not the nominal
    assert d["ascender"]["tilt_deg"] >= 0.0 and d["orbiter_returner"]["lead_deg"] != 0.0


def test_a_rendezvous_campaign_draws_its_capture_and_insertion_plots_a_miss_included(tmp_path):
    c = montecarlo.campaign(scenario.load("rendezvous"), 3, seed=5, jobs=2)
    c.runs[0] = {**c.runs[0], "outcome": "no_capture", "capture": None}     # never reached contact
    written = montecarlo.write(c, tmp_path / "mc")
    assert all("dispersed" in r for r in c.runs)
    for name in ("capture.png", "insertion_propellant.png", "sensitivity.png"):
        assert tmp_path / "mc" / name in written
        _drawn(tmp_path / "mc" / name)
    assert (tmp_path / "mc" / "report.html").read_text().count(IMG) == 3
