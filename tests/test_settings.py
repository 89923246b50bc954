"""The user's settings (`torchplug._settings`): TORCHPLUG_PREFER, the project's file, the user's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from torchplug import ConfigError
from torchplug._settings import preference_rules, project_file, user_file


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory, the working directory, with no user settings and no variable."""
    root = tmp_path / "project"
    (root / "configs" / "deep").mkdir(parents=True)
    monkeypatch.chdir(root / "configs" / "deep")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TORCHPLUG_PREFER", raising=False)
    return root


def patterns() -> list[tuple[str, tuple[str, ...], str]]:
    return [(r.pattern, r.distributions, r.level) for r in preference_rules()]


def test_no_settings_no_rules(project: Path) -> None:
    assert patterns() == []


def test_torchplug_toml_is_found_walking_up_from_the_working_directory(project: Path) -> None:
    (project / "torchplug.toml").write_text('[prefer]\n"optimizer.*" = "pack-a"\n', "utf-8")
    assert patterns() == [("optimizer.*", ("pack-a",), "project")]
    (rule,) = preference_rules()
    assert rule.origin == f"{project / 'torchplug.toml'} [prefer]"


def test_pyproject_with_a_tool_torchplug_table_is_found(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.torchplug.prefer]\n"*" = ["pack-a", "pack-b"]\n', "utf-8"
    )
    assert patterns() == [("*", ("pack-a", "pack-b"), "project")]


def test_a_pyproject_without_the_table_is_passed_over(project: Path) -> None:
    (project / "configs" / "pyproject.toml").write_text('[project]\nname = "inner"\n', "utf-8")
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "outer"\n', "utf-8")
    assert patterns() == [("*", ("outer",), "project")]


def test_the_nearest_file_wins_and_torchplug_toml_beats_pyproject_beside_it(project: Path) -> None:
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "far"\n', "utf-8")
    (project / "configs" / "pyproject.toml").write_text(
        '[tool.torchplug.prefer]\n"*" = "near-pyproject"\n', "utf-8"
    )
    (project / "configs" / "torchplug.toml").write_text('[prefer]\n"*" = "near"\n', "utf-8")
    assert project_file() == (project / "configs" / "torchplug.toml", "")
    assert patterns() == [("*", ("near",), "project")]


def test_the_users_file_and_the_variable_add_their_rules(project: Path, monkeypatch) -> None:
    user = user_file()
    user.parent.mkdir(parents=True)
    user.write_text('[prefer]\n"*" = "mine"\n', "utf-8")
    monkeypatch.setenv("TORCHPLUG_PREFER", "optimizer.lion=lion-pack; scheduler.*=a,b")
    assert sorted(patterns()) == [
        ("*", ("mine",), "user"),
        ("optimizer.lion", ("lion-pack",), "env"),
        ("scheduler.*", ("a", "b"), "env"),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[prefer\n", "not valid TOML"),
        ('[prefr]\n"*" = "a"\n', "unknown key 'prefr'"),
        ('[prefer]\n"optimizer" = "a"\n', "CATEGORY.NAME"),
        ('[prefer]\n"*" = 1\n', "must name a distribution"),
        ('prefer = "a"\n', "must be a table"),
    ],
)
def test_a_malformed_settings_file_is_an_error_naming_it(
    project: Path, text: str, says: str
) -> None:
    (project / "torchplug.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=says) as caught:
        preference_rules()
    assert str(project / "torchplug.toml") in caught.value.path


def test_a_malformed_variable_names_the_variable(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("TORCHPLUG_PREFER", "optimizer.lion")
    with pytest.raises(ConfigError) as caught:
        preference_rules()
    assert caught.value.path == "TORCHPLUG_PREFER"


def test_a_non_utf8_settings_file_is_an_error_naming_it(project: Path) -> None:
    (project / "torchplug.toml").write_bytes(b'[prefer]\n"*" = "\xff"\n')
    with pytest.raises(ConfigError) as caught:
        preference_rules()
    assert str(project / "torchplug.toml") in caught.value.path


# ----------------------------------------------------------------------------- parsed copies
# A settings file is parsed once per content: later processes read its parsed copy from the cache
# directory and never import a TOML parser. The copy holds only for the very bytes it was parsed
# from, so an edit is always read, whatever its size or modification time.


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache directory's parent, on, and empty."""
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.setenv("TORCHPLUG_CACHE", "1")
    return home


def copies(cache_home: Path) -> list[Path]:
    return sorted((cache_home / "torchplug").glob("toml-*.tpt"))


def test_a_second_process_reads_the_parsed_copy_without_a_toml_parser(
    project: Path, cache_home: Path, run_process
) -> None:
    import json
    import os
    import sys

    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["torchplug"]\n\n'
        '[tool.torchplug.prefer]\n"optimizer.*" = ["pack-a", "pack-b"]\n',
        "utf-8",
    )
    code = (
        "import json, sys\nfrom torchplug._settings import preference_rules\n"
        "rules = [(r.pattern, r.distributions, r.origin) for r in preference_rules()]\n"
        "print(json.dumps([rules, 'tomllib' in sys.modules or 'tomli' in sys.modules]))\n"
    )
    env = {"XDG_CACHE_HOME": str(cache_home), "TORCHPLUG_CACHE": "1"}
    here = Path.cwd()
    runs = []
    for _ in range(2):
        ran = run_process(sys.executable, "-c", code, env=env, cwd=here)
        assert ran.returncode == 0, ran.stderr
        runs.append(json.loads(ran.stdout))
    expected = [
        [
            "optimizer.*",
            ["pack-a", "pack-b"],
            f"{project / 'pyproject.toml'} [tool.torchplug.prefer]",
        ]
    ]
    assert runs[0] == [expected, True]  # parsed, and its copy written
    assert runs[1] == [expected, False]  # the copy read: no parser imported
    assert len(copies(cache_home)) == 1
    assert oct(os.stat(copies(cache_home)[0]).st_mode & 0o777) == "0o600"


def test_an_edit_keeping_size_and_modification_time_is_read(
    project: Path, cache_home: Path
) -> None:
    import os

    settings = project / "torchplug.toml"
    settings.write_text('[prefer]\n"*" = "pack-a"\n', "utf-8")
    assert patterns() == [("*", ("pack-a",), "project")]
    before = settings.stat()
    settings.write_text('[prefer]\n"*" = "pack-b"\n', "utf-8")  # same length
    os.utime(settings, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert settings.stat().st_size == before.st_size
    assert patterns() == [("*", ("pack-b",), "project")]
    assert patterns() == [("*", ("pack-b",), "project")]  # and from its own copy


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_damaged_copy_is_parsed_again_and_rewritten(
    project: Path, cache_home: Path, damage: str
) -> None:
    (project / "torchplug.toml").write_text('[prefer]\n"optimizer.*" = "pack-a"\n', "utf-8")
    assert patterns() == [("optimizer.*", ("pack-a",), "project")]
    (copy,) = copies(cache_home)
    data = copy.read_bytes()
    damaged = {
        "truncate": data[: len(data) // 2],
        "flip": data[:-3] + bytes([data[-3] ^ 0x01]) + data[-2:],
        "garbage": b"\x00" * len(data),
    }[damage]
    copy.write_bytes(damaged)
    assert patterns() == [("optimizer.*", ("pack-a",), "project")]
    assert copy.read_bytes() == data  # rewritten whole


def test_a_copy_of_another_file_is_not_taken(project: Path, cache_home: Path) -> None:
    """A copy names the file and holds its bytes: the same text elsewhere is another copy."""
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "outer"\n', "utf-8")
    assert patterns() == [("*", ("outer",), "project")]
    (project / "configs" / "torchplug.toml").write_text('[prefer]\n"*" = "inner"\n', "utf-8")
    assert patterns() == [("*", ("inner",), "project")]
    assert len(copies(cache_home)) == 2


def test_with_the_cache_off_no_copy_is_written(
    project: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "pack-a"\n', "utf-8")
    assert patterns() == [("*", ("pack-a",), "project")]
    assert copies(cache_home) == []


def test_an_unwritable_cache_directory_only_costs_a_parse(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory's parent should be", "utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setenv("TORCHPLUG_CACHE", "1")
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "pack-a"\n', "utf-8")
    assert patterns() == [("*", ("pack-a",), "project")]
    assert patterns() == [("*", ("pack-a",), "project")]


def test_a_file_with_a_date_is_read_every_time_without_a_copy(
    project: Path, cache_home: Path
) -> None:
    """marshal cannot store TOML's dates: such a file is simply parsed each time."""
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.dates]\nreleased = 1979-05-27\n\n'
        '[tool.torchplug.prefer]\n"*" = "pack-a"\n',
        "utf-8",
    )
    assert patterns() == [("*", ("pack-a",), "project")]
    assert patterns() == [("*", ("pack-a",), "project")]
    assert copies(cache_home) == []


def test_an_invalid_file_is_an_error_every_time(project: Path, cache_home: Path) -> None:
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "pack-a"\n', "utf-8")
    assert patterns() == [("*", ("pack-a",), "project")]
    (project / "torchplug.toml").write_text('[prefer\n"*" = "pack-a"\n', "utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError, match="not valid TOML"):
            preference_rules()


@pytest.mark.parametrize(
    "table",
    [
        '[ tool.torchplug.prefer ]\n"*" = "pack-a"\n',
        '[tool . "torchplug" . prefer]\n"*" = "pack-a"\n',
        '[tool.\'torchplug\']\nprefer = { "*" = "pack-a" }\n',
        '[tool]\ntorchplug.prefer."*" = "pack-a"\n',
        '[tool."\\u0074orchplug".prefer]\n"*" = "pack-a"\n',
    ],
)
def test_a_pyproject_table_is_found_however_toml_spells_it(
    project: Path, cache_home: Path, table: str
) -> None:
    (project / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n{table}', "utf-8")
    assert patterns() == [("*", ("pack-a",), "project")]


def plant(settings: Path, document: object, *, parser: object = None) -> Path:
    """Write a parsed copy of `settings` holding `document`, every checksum right, as this
    interpreter's parser (or `parser`) would have made it."""
    import marshal
    import os

    from torchplug import _settings, _store

    file = os.path.realpath(settings)
    identity = _settings._PARSER if parser is None else parser
    blob = marshal.dumps((_settings._MEMO_FORMAT, identity, file, settings.read_bytes(), document))
    copy = Path(_store.directory()) / f"toml-{_settings._memo_key(file)}.tpt"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(_store.checksum(blob).to_bytes(8, "little") + blob)
    return copy


FORGED = {"prefer": {"*": "forged"}}


def test_a_copy_is_taken_for_the_same_bytes_only(project: Path, cache_home: Path) -> None:
    """What the copies trust: the bytes. A copy planted for this file's exact bytes is taken."""
    settings = project / "torchplug.toml"
    settings.write_text('[prefer]\n"*" = "real"\n', "utf-8")
    plant(settings, FORGED)
    assert patterns() == [("*", ("forged",), "project")]
    settings.write_text('[prefer]\n"*" = "rea1"\n', "utf-8")  # the same size
    assert patterns() == [("*", ("rea1",), "project")]


def test_with_the_cache_off_no_copy_is_read(
    project: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = project / "torchplug.toml"
    settings.write_text('[prefer]\n"*" = "real"\n', "utf-8")
    plant(settings, FORGED)
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")
    assert patterns() == [("*", ("real",), "project")]


def test_a_copy_made_by_another_parser_is_not_taken(project: Path, cache_home: Path) -> None:
    """Another Python's TOML parser may accept what this one refuses (TOML 1.1 in tomli 2.4 and
    Python 3.15): each keeps its own copies."""
    settings = project / "torchplug.toml"
    settings.write_text('[prefer]\n"*" = "real"\n', "utf-8")
    plant(settings, FORGED, parser="3.15.0 (another parser)")
    assert patterns() == [("*", ("real",), "project")]


@pytest.mark.parametrize(
    "document",
    [
        {1: 0, "zz": 0},
        {5: 0},
        ["prefer"],
        {"prefer": {"*": object.__name__, 3: "x"}},
        None,
        {"prefer": {"*": ("a",)}},
    ],
    ids=["int-key-beside-str", "int-key", "a-list", "nested-int-key", "none", "a-tuple"],
)
def test_a_copy_no_toml_parser_could_make_is_a_miss(
    project: Path, cache_home: Path, document: object
) -> None:
    settings = project / "torchplug.toml"
    settings.write_text('[prefer]\n"*" = "real"\n', "utf-8")
    plant(settings, document)
    assert patterns() == [("*", ("real",), "project")]


def test_a_copy_nested_deeper_than_the_stack_is_read_without_a_traceback(
    project: Path, cache_home: Path
) -> None:
    """A list 1,500 deep is a TOML shape (marshal stores it); checking it must not recurse."""
    settings = project / "torchplug.toml"
    settings.write_text('[prefer]\n"*" = "real"\n', "utf-8")
    nested: object = "x"
    for _ in range(1500):
        nested = [nested]
    plant(settings, {"prefer": {"*": "deep"}, "entry-points": {"from": nested}})
    assert patterns() == [("*", ("deep",), "project")]


@pytest.mark.parametrize(
    "text",
    [
        '[project]\nname = "x"\ndependencies = ["torchplug", "torchplug-torch>=0.1"]\n',
        '[project]\nname = "x"\ndependencies = [\n  "torchplug",\n  "torchplug >= 1",\n]\n',
        '[project]\nname = "x"\n[project.optional-dependencies]\nall = ["my-torchplug-pack"]\n',
    ],
)
def test_a_pyproject_that_only_depends_on_torchplug_is_not_parsed(
    project: Path, cache_home: Path, text: str
) -> None:
    """Not parsed at all: a syntax this Python's parser lacks (a TOML 1.1 multi-line inline
    table, which uv and newer parsers accept) in a file with no torchplug table stops nothing."""
    later_toml = '[tool.uv]\nsources = {\n  mine = { path = "." },\n}\n'
    (project / "pyproject.toml").write_text(text + later_toml, "utf-8")
    assert patterns() == []
    assert copies(cache_home) == []


def test_an_invalid_pyproject_with_a_torchplug_table_says_what_to_do(
    project: Path, cache_home: Path
) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.torchplug.prefer]\n"*" = "a"\n[tool.uv]\nsources = {\n}\n',
        "utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        preference_rules()
    assert "not valid TOML" in str(caught.value)
    assert "torchplug.toml beside it" in str(caught.value)
    assert caught.value.path == str(project / "pyproject.toml")


def test_the_torchplug_key_check_never_misses_a_key_tomllib_sees() -> None:
    """Random pyproject files with the word as a key (bare, quoted, escaped, in headers, dotted
    keys and inline tables, with TOML's whitespace) or only in values: whenever the parsed file
    has a key ``torchplug`` anywhere, the check says so; a file that only depends on torchplug
    is passed over."""
    import random
    import sys

    if sys.version_info < (3, 11):  # pragma: no cover
        pytest.skip("tomllib is 3.11+")
    import tomllib
    from torchplug._settings import _may_name_torchplug

    chosen = random.Random(13)

    def space() -> str:
        return chosen.choice(["", " ", "\t", "  "])

    def key(word: str) -> str:
        form = chosen.randrange(4)
        if form == 3:
            return (
                '"'
                + "".join(f"\\u{ord(c):04x}" if chosen.random() < 0.3 else c for c in word)
                + '"'
            )
        return [word, f'"{word}"', f"'{word}'"][form]

    def dotted(*words: str) -> str:
        return f"{space()}.{space()}".join(key(w) for w in words)

    def keys(table: object) -> set[str]:
        found: set[str] = set()
        if isinstance(table, dict):
            for k, v in table.items():
                found |= {k} | keys(v)
        elif isinstance(table, list):
            for v in table:
                found |= keys(v)
        return found

    forms = [
        lambda w: f'[{space()}{dotted("tool", w, "prefer")}{space()}]\n"*" = "a"\n',
        lambda w: f"[tool]\n{dotted(w, 'prefer')}{space()}={space()}{{}}\n",
        lambda w: f"{dotted('tool', w)}{space()}={space()}{{{space()}prefer = {{}}{space()}}}\n",
        lambda w: f"tool = {{{space()}{key(w)}{space()}={space()}{{}}{space()}}}\n",
        lambda w: f"[{space()}{key(w)}{space()}]\nx = 1\n",
        lambda w: f"[[{space()}{dotted('tool', w)}{space()}]]\nx = 1\r\n",
        lambda w: f"[[{space()}{key(w)}{space()}]]\nx = 1\n",
    ]
    values = ['"torchplug>=1"', '["torchplug", "torchplug-torch"]', '{ x = "torchplug" }', "1"]
    seen = {True: 0, False: 0}
    for _ in range(20_000):
        word = chosen.choice(["torchplug", "torchplug", "torchplugs", "my-torchplug", "other"])
        text = f'[project]\nname = "x"\ndependencies = {chosen.choice(values)}\n' + chosen.choice(
            forms
        )(word)
        try:
            parsed = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        has_key = "torchplug" in keys(parsed)
        if has_key:
            assert _may_name_torchplug(text.encode()), text
        seen[has_key] += 1
    assert seen[True] > 5_000 and seen[False] > 2_000
    for only_values in [*values[:3], '[\n  "torchplug",\n]', '[["torchplug"]]']:
        assert not _may_name_torchplug(f"[project]\ndependencies = {only_values}\n".encode())
    assert _may_name_torchplug(b'[tool."\\x74orchplug".prefer]\n')  # TOML 1.1's escape
