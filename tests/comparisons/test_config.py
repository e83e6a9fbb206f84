"""TOML sweep configs: valid files, presets, and clear errors with file and line."""

import pytest

from comparisons.config import ConfigError, SweepConfig, config_from_dict, load_config
from comparisons.learners import list_learners
from comparisons.presets import PRESETS, get_preset
from comparisons.protocol import Budget
from comparisons.tasks import list_tasks

GOOD = """\
title = "my sweep"
tasks = ["binary_addition", "adding"]
learners = ["lstm", "lif_reservoir"]
seeds = [0, 1]
device = "cpu"
threads = 2
memory_lengths = [10, 20]

[task_params.binary_addition]
train_bits = 4
n_train = 32

[learner_params.lstm]
epochs = 2

[learner_grid.lstm]
hidden_size = [4, 8]

[task_grid.adding]
length = [10, 20]
"""


def _write(tmp_path, text, name="c.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_config_loads_and_expands(tmp_path):
    cfg = load_config(_write(tmp_path, GOOD))
    assert isinstance(cfg, SweepConfig)
    assert cfg.tasks == ("binary_addition", "adding") and cfg.seeds == (0, 1)
    assert cfg.threads == 2 and cfg.memory_lengths == (10, 20) and cfg.title == "my sweep"
    cells = cfg.cells()
    # binary_addition: 2 learners' variants (lstm x2 + reservoir) x 2 seeds; adding: twice
    assert len(cells) == (2 + 1) * 2 * (1 + 2)
    labels = {c.learner_label for c in cells}
    assert labels == {"lstm[hidden_size=4]", "lstm[hidden_size=8]", "lif_reservoir"}
    assert all(c.learner_params.get("epochs") == 2 for c in cells if c.learner == "lstm")
    assert cfg.meta()["config"].endswith("c.toml")


def test_all_means_every_registered_name_outside_the_rule_swap_families():
    cfg = config_from_dict({"tasks": "all", "learners": "all"})
    assert cfg.tasks == tuple(list_tasks()) and cfg.learners == tuple(list_learners(families=False))


def test_preset_is_a_starting_point(tmp_path):
    cfg = load_config(_write(tmp_path, 'preset = "quick"\nseeds = [5]\n'))
    assert cfg.seeds == (5,) and cfg.tasks == tuple(PRESETS["quick"]["tasks"])
    assert cfg.task_params["binary_addition"] == PRESETS["quick"]["task_params"]["binary_addition"]
    assert cfg.budget == {**Budget().to_dict(), **PRESETS["quick"]["budget"]}
    # the full preset's literature-scale task settings apply to the tasks kept
    cfg = load_config(_write(tmp_path, 'preset = "full"\ntasks = ["adding"]\n'
                                       'learners = ["lstm"]\n'))
    assert cfg.task_params == {"adding": get_preset("full")["task_params"]["adding"]}


def test_every_preset_is_valid():
    for name in PRESETS:
        cfg = config_from_dict(get_preset(name), source=f"preset {name}")
        assert cfg.tasks and cfg.learners


def test_standard_preset_covers_all_learners_and_tasks():
    cfg = config_from_dict(get_preset("standard"))
    assert set(cfg.learners) == set(list_learners(families=False))
    assert set(cfg.tasks) == set(list_tasks())


@pytest.mark.parametrize("text, exc, pattern", [
    ('tasks = ["adding"\nlearners = ["lstm"]\n', ConfigError,
     r"c.toml: invalid TOML: .*line [12]"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\nseeds = "0"\n', TypeError,
     r"c.toml:3: seeds must be a list of integers, got '0'"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\nseeds = [0, "a"]\n', TypeError,
     r"c.toml:3: seeds\[1\] must be an int, got str \('a'\)"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\nseeds = [0, 1.5]\n', TypeError,
     r"c.toml:3: seeds\[1\] must be an int, got float \(1.5\)"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n\nthreads = true\n', TypeError,
     r"c.toml:4: threads must be an int, got bool \(True\)"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\nthreads = 0\n', ConfigError,
     r"c.toml:3: threads must be >= 1, got 0"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\ndevice = "tpu"\n', ConfigError,
     r"c.toml:3: unknown device 'tpu'; choose from: auto, cpu, cuda"),
    ('taks = ["adding"]\n', ConfigError,
     r"c.toml:1: unknown setting 'taks'; choose from: .*tasks"),
    ('tasks = ["addng"]\nlearners = ["lstm"]\n', ConfigError,
     r"c.toml:1: unknown task 'addng'; choose from: adding"),
    ('tasks = "adding"\nlearners = ["lstm"]\n', TypeError,
     r"c.toml:1: tasks must be a list of names or \"all\", got 'adding'"),
    ('learners = ["lstm"]\n', ConfigError, r"c.toml: missing setting 'tasks'"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[learner_params.lstm]\nepochs = 2\n'
     'hiden_size = 3\n', ConfigError,
     r"c.toml:5: unknown parameter 'hiden_size' for learner lstm; choose from: .*hidden_size"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[learner_params.lstm]\nhidden_size = -1\n',
     ConfigError, r"c.toml:4: learner lstm: lstm.hidden_size must be >= 1, got -1"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[learner_params.lstm]\nlr = "fast"\n',
     TypeError, r"c.toml:4: learner lstm: lstm.lr must be a real number, got str \('fast'\)"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[task_params.adding]\nlength = 1\n',
     ConfigError, r"c.toml:4: task adding: AddingProblem.length must be >= 2, got 1"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[learner_grid.lstm]\nhidden_size = 8\n',
     TypeError, r"c.toml:4: learner_grid.lstm.hidden_size must be a non-empty list"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[learner_grid.lstm]\nhidden_size = [8, 0]\n',
     ConfigError, r"c.toml:4: learner lstm: lstm.hidden_size must be >= 1, got 0"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[learner_params.gru]\nepochs = 1\n',
     ConfigError, r"c.toml:3: learner_params.gru: 'gru' is not in this sweep's learners"),
    ('preset = "quik"\n', ConfigError,
     r"c.toml:1: unknown preset 'quik'; choose from: ablation, families, full"),
    ('tasks = []\nlearners = ["lstm"]\n', ConfigError, r"tasks must not be empty"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[budget]\ntrails = 3\n', ConfigError,
     r"c.toml:4: budget has no setting 'trails'; choose from: .*trials"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[budget]\npasses = 0\n', ConfigError,
     r"c.toml:4: Budget.passes must be >= 1, got 0"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[budget]\ntrials = 2\n'
     '[task_budgets.adding]\npases = 3\n', ConfigError,
     r"c.toml:6: task_budgets.adding has no setting 'pases'; choose from: .*passes"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[task_budgets.adding]\npasses = 3\n',
     ConfigError, r"c.toml:3: task_budgets need a \[budget\]"),
    ('tasks = ["adding"]\nlearners = ["lstm"]\n[budget]\ntrials = 2\n'
     '[learner_params.lstm]\nepochs = 3\n', ConfigError,
     r"c.toml:6: learner_params.lstm.epochs is set by the budget \(passes = 20"),
])
def test_bad_configs_name_file_line_and_allowed_values(tmp_path, text, exc, pattern):
    with pytest.raises(exc, match=pattern):
        load_config(_write(tmp_path, text))


def test_config_is_data_never_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    cfg = load_config(_write(tmp_path, f'title = "{payload}"\ntasks = ["adding"]\n'
                                       'learners = ["lstm"]\n'))
    assert cfg.title == payload and not marker.exists()
    with pytest.raises(ConfigError, match="unknown learner"):
        load_config(_write(tmp_path, f'tasks = ["adding"]\nlearners = ["{payload}"]\n'))
    assert not marker.exists()


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(OSError, match="cannot read config .*missing.toml"):
        load_config(tmp_path / "missing.toml")
    p = tmp_path / "latin.toml"
    p.write_bytes(b'title = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="latin.toml: not UTF-8 text"):
        load_config(p)


def test_example_config_is_valid():
    from pathlib import Path

    p = Path(__file__).resolve().parents[2] / "examples" / "compare_sweep.toml"
    cfg = load_config(p)
    assert len(cfg.cells()) == 3 * 3  # lstm x 2 hidden sizes + reservoir, 3 seeds


def test_task_budgets_change_one_task_for_every_learner(tmp_path):
    cfg = load_config(_write(tmp_path, 'tasks = ["adding", "mackey_glass"]\n'
                                       'learners = ["lstm", "esn"]\n[budget]\npasses = 7\n'
                                       '[task_budgets.mackey_glass]\npasses = 70\n'))
    by_task = {(c.task, c.learner): c.budget["passes"] for c in cfg.cells()}
    assert by_task == {("adding", "lstm"): 7, ("adding", "esn"): 7,
                       ("mackey_glass", "lstm"): 70, ("mackey_glass", "esn"): 70}
    assert "budget of mackey_glass" in cfg.meta()
