"""The Basilisk anchor of bench/realtime_factor.py: run by a Python that has Basilisk
(`pip install bsk` in a scratch venv), never imported by gnc.

A 720 s braking burn of a lander like ours (3620 kg, a 7500 N engine pointed against the
starting velocity), from the same 15 km perilune, in Basilisk: the spacecraft hub, the
Moon's point-mass gravity, a thruster effector held on, attitude control holding that
inertial attitude (simpleNav,
inertial3D, attTrackingError, mrpFeedback, extForceTorque).  No guidance, no navigation
filter, no mass depletion: less work per step than our closed loop.  Prints one JSON line:
{"dt_s": ..., "sim_s": 720, "wall_s": [...]} for each --dt asked.

    /path/to/bsk-venv/bin/python bench/basilisk_braking.py --dt 0.01 --dt 0.001 --runs 3
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
from Basilisk.architecture import messaging
from Basilisk.fswAlgorithms import attTrackingError, inertial3D, mrpFeedback
from Basilisk.simulation import extForceTorque, simpleNav, spacecraft, thrusterDynamicEffector
from Basilisk.utilities import SimulationBaseClass, macros, simIncludeGravBody, simIncludeThruster

MOON_R = 1737.4e3
MU = 4.90280007e12
BURN_S = 720.0


def build(dt_s: float):
    """The simulation, ready to run BURN_S seconds at dt_s."""
    sim = SimulationBaseClass.SimBaseClass()
    proc = sim.CreateNewProcess("dynamics")
    proc.addTask(sim.CreateNewTask("step", macros.sec2nano(dt_s)))

    sc = spacecraft.Spacecraft()
    sc.ModelTag = "lander"
    sc.hub.mHub = 3620.0
    sc.hub.IHubPntBc_B = [[3800.0, 0.0, 0.0], [0.0, 3900.0, 0.0], [0.0, 0.0, 4300.0]]
    r_peri = MOON_R + 15e3
    r_apo = MOON_R + 100e3
    v_peri = np.sqrt(MU * (2 / r_peri - 2 / (r_peri + r_apo)))
    sc.hub.r_CN_NInit = [[r_peri], [0.0], [0.0]]
    sc.hub.v_CN_NInit = [[0.0], [v_peri], [0.0]]
    sim.AddModelToTask("step", sc)

    grav = simIncludeGravBody.gravBodyFactory()
    moon = grav.createMoon()
    moon.isCentralBody = True
    grav.addBodiesTo(sc)

    thrusters = simIncludeThruster.thrusterFactory()
    thrusters.create("MOOG_Monarc_445", [0.0, 0.0, 0.0], [0.0, -1.0, 0.0], MaxThrust=7500.0)
    engine = thrusterDynamicEffector.ThrusterDynamicEffector()
    thrusters.addToSpacecraft("engine", engine, sc)
    burn = messaging.THRArrayOnTimeCmdMsgPayload()
    burn.OnTimeRequest = [2 * BURN_S]
    burn_msg = messaging.THRArrayOnTimeCmdMsg().write(burn)
    engine.cmdsInMsg.subscribeTo(burn_msg)
    sim.AddModelToTask("step", engine)

    torque = extForceTorque.ExtForceTorque()
    sc.addDynamicEffector(torque)
    sim.AddModelToTask("step", torque)
    nav = simpleNav.SimpleNav()
    nav.scStateInMsg.subscribeTo(sc.scStateOutMsg)
    sim.AddModelToTask("step", nav)
    pointing = inertial3D.inertial3D()
    pointing.sigma_R0N = [0.0, 0.0, 0.0]
    sim.AddModelToTask("step", pointing)
    error = attTrackingError.attTrackingError()
    error.attNavInMsg.subscribeTo(nav.attOutMsg)
    error.attRefInMsg.subscribeTo(pointing.attRefOutMsg)
    sim.AddModelToTask("step", error)
    control = mrpFeedback.mrpFeedback()
    control.K = 3.5 * 3900.0 / 10.0
    control.P = 30.0 * 3900.0 / 10.0
    control.Ki = -1.0
    inertia = messaging.VehicleConfigMsgPayload()
    inertia.ISCPntB_B = [3800.0, 0.0, 0.0, 0.0, 3900.0, 0.0, 0.0, 0.0, 4300.0]
    control.vehConfigInMsg.subscribeTo(messaging.VehicleConfigMsg().write(inertia))
    control.guidInMsg.subscribeTo(error.attGuidOutMsg)
    torque.cmdTorqueInMsg.subscribeTo(control.cmdTorqueOutMsg)
    sim.AddModelToTask("step", control)
    # the messages must outlive this function: Basilisk keeps pointers to them
    sim.keep = (burn_msg, grav, thrusters)
    sim.InitializeSimulation()
    sim.ConfigureStopTime(macros.sec2nano(BURN_S))
    return sim, sc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dt", type=float, action="append", required=True, help="integration step in seconds")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    for dt in args.dt:
        walls = []
        for _ in range(args.runs):
            sim, sc = build(dt)
            t0 = time.perf_counter()
            sim.ExecuteSimulation()
            walls.append(time.perf_counter() - t0)
        state = sc.scStateOutMsg.read()
        speed = float(np.linalg.norm(state.v_BN_N))
        print(json.dumps({"dt_s": dt, "sim_s": BURN_S, "wall_s": walls, "final_speed_m_s": speed}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
