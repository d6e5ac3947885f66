"""The host-side array layouts (gnc/arrays.toml): the generated blocks are current, every
layout's offsets are contiguous and end at its *_LEN, and the telemetry column names
follow the rows."""
from __future__ import annotations

import importlib
import re

import pytest

from gnc import codegen
from gnc.arrays import layouts
from gnc.programs.descent import plant as P
from gnc.programs.descent.run import telemetry_columns as descent_columns
from gnc.programs.rendezvous import plant as RL
from gnc.programs.rendezvous.run import telemetry_columns as rendezvous_columns

LAYOUTS = list(layouts().values())


def test_generated_blocks_are_current():
    stale = [str(p.relative_to(codegen.ROOT)) for p, text in codegen.layout_sources().items()
             if p.read_text() != text]
    assert not stale, f"run python -m gnc.codegen: {stale}"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.prefix)
def test_offsets_are_contiguous_and_end_at_len(layout):
    module = importlib.import_module(layout.module)
    at = 0
    for f in layout.fields:
        assert getattr(module, layout.const(f)) == at, layout.const(f)
        # a symbolic size is an expression over the names the module sees
        size = f.size if isinstance(f.size, int) else eval(f.size, vars(module))
        assert isinstance(size, int) and size > 0, (layout.const(f), size)
        at += size
    assert getattr(module, layout.length_const) == at


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.prefix)
def test_module_declares_no_other_constant_of_the_prefix(layout):
    """A hand-numbered offset added beside the block would escape the schema."""
    module = importlib.import_module(layout.module)
    declared = {name for name, _ in layout.offsets()}
    found = {name for name, value in vars(module).items()
             if re.fullmatch(rf"{layout.prefix}_[A-Z0-9_]+", name) and isinstance(value, int)}
    assert found == declared


def test_descent_columns_follow_the_row():
    cols = descent_columns()
    assert len(cols) == P.T_LEN == len(set(cols))
    assert cols[P.T_T] == "t" and cols[P.T_ALT] == "alt" and cols[P.T_Q] == "q_w"
    assert cols[P.T_NAV_SIG + 3] == "nav_sig_vel_e"
    assert cols[P.T_SF] == "sf.t" and cols[P.T_AF] == "af.t" and cols[-1] == "af.board_repeats"


def test_rendezvous_columns_follow_the_row():
    cols = rendezvous_columns()
    assert len(cols) == RL.R_LEN == len(set(cols))
    assert cols[RL.R_H] == "step_s" and cols[RL.R_ATT] == "rel_att" and cols[RL.R_VALID_C] == "valid_chaser"
    assert cols[RL.R_NAV_SIG + 2] == "nav_sig_pos_z" and cols[-1] == "nav_err_pos_z"
