"""Plan a sanitation fleet's day: scenarios, the one pipeline, and the CLI's building blocks.

``planner`` composes ``geodata`` (streets, sites, matrices), ``routing`` (problem, solve)
and ``maps`` (outputs). Typical use::

    from planner import Scenario, SAMPLE_SCENARIO, plan_day, write_day
    day = plan_day(Scenario.from_file(SAMPLE_SCENARIO))
    write_day(day, "out/today")
"""

from pathlib import Path

from planner._campaign import Calendar, Campaign, CampaignDay, CampaignError, Dump, plan_campaign
from planner._campaign_io import (
    CAMPAIGN_SAMPLE,
    CampaignRun,
    CampaignScenario,
    campaign_main,
    read_progress,
    run_campaign,
    write_campaign,
)
from planner._districts import DistrictsResult, assign_districts, plan_districts, share_fleet
from planner._errors import ScenarioError
from planner._pipeline import (
    NO_PATH,
    WORK_KINDS,
    DayResult,
    build_problem,
    load_sites,
    plan_day,
    write_day,
)
from planner._scenario import (
    DEFAULT_MAX_ITERATIONS,
    DepotSpec,
    FacilitySpec,
    FleetType,
    NetworkSpec,
    Scenario,
    SolverSpec,
    parse_hhmm,
    replace_fleet,
)
from planner._sweep import (
    SWEEP_KEYS,
    SweepResult,
    Variant,
    apply_variant,
    read_sweep_file,
    sweep,
    variants_from,
)
from planner._sweep_cli import districts_main, sweep_main

#: The bundled sample scenario (offline Helsinki network, ``geodata.SAMPLE_SITES``).
SAMPLE_SCENARIO: Path = Path(__file__).parent / "data" / "sample.toml"
#: An example for Heihe's Aihui district (online network; illustrative dead spots).
HEIHE_SCENARIO: Path = Path(__file__).parent / "data" / "heihe-aihui.toml"

__all__ = [
    "CAMPAIGN_SAMPLE",
    "DEFAULT_MAX_ITERATIONS",
    "HEIHE_SCENARIO",
    "NO_PATH",
    "SAMPLE_SCENARIO",
    "SWEEP_KEYS",
    "WORK_KINDS",
    "Calendar",
    "Campaign",
    "CampaignDay",
    "CampaignError",
    "CampaignRun",
    "CampaignScenario",
    "DayResult",
    "DepotSpec",
    "DistrictsResult",
    "Dump",
    "FacilitySpec",
    "FleetType",
    "NetworkSpec",
    "Scenario",
    "ScenarioError",
    "SolverSpec",
    "SweepResult",
    "Variant",
    "apply_variant",
    "assign_districts",
    "build_problem",
    "campaign_main",
    "districts_main",
    "load_sites",
    "parse_hhmm",
    "plan_campaign",
    "plan_day",
    "plan_districts",
    "read_progress",
    "read_sweep_file",
    "replace_fleet",
    "run_campaign",
    "share_fleet",
    "sweep",
    "sweep_main",
    "variants_from",
    "write_campaign",
    "write_day",
]
