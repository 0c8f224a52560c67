"""Page — Programme (Clinic): the therapist builds a home exercise programme for a patient.

The programme being edited is a plain draft in ``st.session_state`` (one dict per
exercise, keyed by a stable id so its widgets follow it when it moves); it becomes
a ``posture.programme.Programme`` only through the library's own reader, so every
check and every message is the library's — the page only places each sentence
next to the field it names. Saving, the active programme and deleting go through
the history store; the file for the patient is the library's TOML (or JSON).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from posture.errors import PostureError
from posture.programme import Programme, ProgrammeError, dumps_programme, load_programme
from posture_app.files import download_name
from posture_app.services import KIND_GROUPS, History, exercise_choices
from posture_app.ui import FRIENDLY_FALLBACK, guard, page_header

log = logging.getLogger("posture_app")

DRAFT_KEY = "programme_draft"
CONFIRM_DELETE = "programme_confirm_delete"
NOTE_KEY = "_programme_note"
ERROR_KEY = "_programme_error"
W = "prog_"  # prefix of every widget key of the editor (cleared when a draft is opened)
SIDES = ("both", "left", "right", "each")
SIDE_WORDS = {"both": "Both sides together", "left": "Left", "right": "Right",
              "each": "Each side in turn"}
# Starting values of a new line (the therapist changes them): a UI default, not a dose.
NEW_SETS, NEW_REPS, NEW_REST_S, NEW_TIMES_PER_WEEK = 3, 10, 30, 3
LIBRARY_FOLDER = "posture/exercises/library"
EXAMPLE_PROGRAMME = "docs/examples/low-back-programme.toml"


# ---------------------------------------------------------------------------- library glue
def to_programme(draft: Mapping[str, Any]) -> Programme:
    """The draft as a ``Programme``, read by the library (which checks every value)."""
    return load_programme(file_dict(draft))


def file_dict(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The draft in the programme file's shape (what ``load_programme`` reads)."""
    out: dict[str, Any] = {k: draft[k] for k in ("id", "title", "patient", "times_per_week",
                                                 "notes", "created")
                           if draft.get(k) not in (None, "")}
    items = []
    for it in draft.get("items", ()):
        d = {k: it[k] for k in ("exercise", "sets", "reps", "hold_s", "rest_s",
                                "rom_target_deg", "side", "notes")
             if it.get(k) not in (None, "")}
        items.append(d)
    out["exercises"] = items
    return out


def draft_from(programme: Programme, saved: bool) -> dict[str, Any]:
    """A draft to edit from a ``Programme`` (``saved``: it is in the history already)."""
    items = [{"uid": i, "exercise": p.exercise, "sets": p.sets, "reps": p.reps,
              "hold_s": p.hold_s, "rest_s": p.rest_s,
              "rom_target_deg": (p.rom_target_deg if p.rom_target_deg is not None
                                 else default_rom_target(p.exercise)),
              "side": p.side, "notes": p.notes}
             for i, p in enumerate(programme.prescriptions)]
    return {"id": programme.id, "saved": saved, "created": programme.created,
            "title": programme.title, "patient": programme.patient or "",
            "times_per_week": programme.times_per_week, "notes": programme.notes,
            "items": items, "next_uid": len(items)}


def default_rom_target(key: str) -> float | None:
    """The exercise's own range-of-motion target (the library's), to prefill the field."""
    ex = exercise_choices().get(key)
    return float(ex.rom.target) if ex is not None and ex.rom is not None else None


def saved_programmes() -> tuple[list[Programme], str | None]:
    """(every saved programme, the active one's id)."""
    with History() as h:
        rows = h.store.list_programmes()
        active = h.store.active_programme()
    return rows, active.id if active is not None else None


def save(programme: Programme, active: bool = False) -> Programme:
    with History() as h:
        return h.store.save_programme(programme, active=active)


def get_saved(programme_id: str) -> Programme | None:
    with History() as h:
        return h.store.get_programme(programme_id)


def set_active(programme_id: str) -> None:
    with History() as h:
        h.store.set_active_programme(programme_id)


def delete_saved(programme_id: str) -> None:
    with History() as h:
        h.store.delete_programme(programme_id)


# ---------------------------------------------------------------------------- the draft
def new_draft() -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "saved": False, "created": "", "title": "",
            "patient": "", "times_per_week": NEW_TIMES_PER_WEEK, "notes": "", "items": [],
            "next_uid": 0}


def _draft() -> dict[str, Any]:
    draft = st.session_state.get(DRAFT_KEY)
    if not isinstance(draft, dict):
        draft = new_draft()
        st.session_state[DRAFT_KEY] = draft
    return draft


def open_draft(draft: dict[str, Any]) -> None:
    """Make ``draft`` the one being edited: the editor's widgets start from its values."""
    for k in [k for k in st.session_state if str(k).startswith(W)]:
        del st.session_state[k]
    st.session_state[DRAFT_KEY] = draft


def new_item(key: str, uid: int) -> dict[str, Any]:
    """A new line for exercise ``key``: hold seconds and ROM target from the library."""
    ex = exercise_choices()[key]
    hold = ex.kind == "hold"
    return {"uid": uid, "exercise": key, "sets": NEW_SETS,
            "reps": None if hold else NEW_REPS,
            "hold_s": float(ex.hold.target_s) if hold and ex.hold is not None else None,
            "rest_s": NEW_REST_S,
            "rom_target_deg": default_rom_target(key),
            "side": "both", "notes": ""}


INT_FIELDS = ("sets", "reps", "times_per_week")
FLOAT_FIELDS = ("hold_s", "rest_s", "rom_target_deg")
ITEM_FIELDS = ("sets", "reps", "hold_s", "rest_s", "rom_target_deg", "side", "notes")


def _typed(field: str, value: Any) -> Any:
    """A number input's value of the right type (Streamlit refuses int/float mixes)."""
    if value is None or value == "":
        return None
    try:
        if field in INT_FIELDS and float(value) == int(float(value)):
            return int(float(value))
        if field in FLOAT_FIELDS:
            return float(value)
    except (TypeError, ValueError):
        return None
    return value


def _seed(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def sync(draft: dict[str, Any]) -> None:
    """Take the editor's current inputs into the draft (before checking it)."""
    for field in ("title", "patient", "times_per_week", "notes"):
        if W + field in st.session_state:
            draft[field] = st.session_state[W + field]
    for item in draft["items"]:
        for field in ITEM_FIELDS:
            k = f"{W}{item['uid']}_{field}"
            if k in st.session_state:
                item[field] = st.session_state[k]


def move(uid: int, step: int) -> None:
    """Move exercise ``uid`` one place up (-1) or down (+1); its inputs go with it."""
    items = _draft()["items"]
    pos = next((i for i, it in enumerate(items) if it["uid"] == uid), None)
    if pos is not None and 0 <= pos + step < len(items):
        items[pos], items[pos + step] = items[pos + step], items[pos]


def drop(uid: int) -> None:
    draft = _draft()
    draft["items"] = [it for it in draft["items"] if it["uid"] != uid]
    for k in [k for k in st.session_state if str(k).startswith(f"{W}{uid}_")]:
        del st.session_state[k]


def add(key: str | None) -> None:
    if key is None:
        return
    draft = _draft()
    uid = int(draft.get("next_uid", len(draft["items"])))
    draft["next_uid"] = uid + 1
    draft["items"].append(new_item(key, uid))


def act(what: str, action: Callable[[], str | None]) -> None:
    """A button's action, run before the page is drawn: its sentence shows at the top (a
    library error as itself, anything else as a plain sentence — never a traceback)."""
    try:
        note = action()
    except PostureError as err:
        st.session_state[ERROR_KEY] = str(err)
    except Exception:
        log.exception("unexpected error while %s", what)
        st.session_state[ERROR_KEY] = FRIENDLY_FALLBACK.format(what=what)
    else:
        if note:
            st.session_state[NOTE_KEY] = note


# ---------------------------------------------------------------------------- messages
def place_errors(message: str, draft: Mapping[str, Any]) -> dict[Any, list[str]]:
    """Where a library sentence belongs: {(uid, field) | (None, field) | None: [message]}.

    The library names the exercise by its position ("Exercise 2 (glute_bridge): 'reps' …")
    and the field in quotes; a sentence naming neither goes above the editor.
    """
    out: dict[Any, list[str]] = {}
    items = list(draft.get("items", ()))
    field_m = re.search(r"'([a-z_]+)'", message)
    field = field_m.group(1) if field_m else None
    item_m = re.search(r"[Ee]xercise (\d+)\b", message)
    if item_m and 1 <= int(item_m.group(1)) <= len(items):
        uid = items[int(item_m.group(1)) - 1]["uid"]
        out[(uid, field)] = [message]
    elif field in ("title", "patient", "times_per_week", "notes"):
        out[(None, field)] = [message]
    else:
        out[None] = [message]
    return out


def check(draft: Mapping[str, Any]) -> tuple[Programme | None, dict[Any, list[str]]]:
    """(the Programme or None, the library's messages placed by field)."""
    if not draft.get("items"):
        return None, {}
    try:
        return to_programme(draft), {}
    except ProgrammeError as err:
        placed: dict[Any, list[str]] = {}
        for problem in err.problems:
            for where, msgs in place_errors(problem, draft).items():
                placed.setdefault(where, []).extend(msgs)
        return None, placed


def _show(errors: Mapping[Any, list[str]], where: Any) -> None:
    for msg in errors.get(where, ()):
        st.error(msg, icon=":material/error:")


# ---------------------------------------------------------------------------- the page
def page() -> None:
    page_header("Programme",
                "For the physiotherapist: prescribe home exercises, save them, and give the "
                "patient the file or make it their programme on this computer.")
    from posture_app.progress_view import UNAVAILABLE, available

    if not available(progress=False):
        st.info(UNAVAILABLE, icon=":material/info:")
        return
    note = st.session_state.pop(NOTE_KEY, None)
    if note:
        st.success(note, icon=":material/check_circle:")
    problem = st.session_state.pop(ERROR_KEY, None)
    if problem:
        st.error(problem, icon=":material/error:")
    with guard("opening the exercise library"):
        choices = exercise_choices()
        _saved_section()
        _editor(choices)
        _import_section()
    _how_to_add()


def _saved_section() -> None:
    st.subheader("Saved programmes")
    rows, active = saved_programmes()
    if not rows:
        st.caption("None yet: build one below and save it.")
        return
    by_id = {r.id: r for r in rows}
    import pandas as pd  # type: ignore[import-untyped]

    st.dataframe(pd.DataFrame([{
        "Programme": r.title,
        "Patient": r.patient or "",
        "Exercises": len(r.prescriptions),
        "Times a week": r.times_per_week,
        "Last changed": r.updated,
        "Active": "✓ active" if pid == active else "",
    } for pid, r in by_id.items()]), hide_index=True, width="stretch")
    pick = st.selectbox("Programme", list(by_id), key="programme_pick",
                        format_func=lambda pid: by_id[pid].title
                        + ("  (active)" if pid == active else ""))
    if pick is None:
        return
    title = by_id[pick].title

    def open_saved() -> str | None:
        found = get_saved(pick)
        if found is not None:
            open_draft(draft_from(found, saved=True))
        return None

    def activate() -> str:
        set_active(pick)
        return f"“{title}” is now the active programme."

    def delete() -> str:
        st.session_state.pop(CONFIRM_DELETE, None)
        delete_saved(pick)
        return "The programme was deleted."

    c1, c2, c3, _ = st.columns([1, 1.3, 1, 1.5])
    c1.button("Open to edit", icon=":material/edit:", key="programme_open", width="stretch",
              on_click=act, args=("opening the programme", open_saved))
    c2.button("Make it the active programme", icon=":material/play_circle:",
              key="programme_activate", width="stretch", disabled=pick == active,
              help="The one the patient's \"Today's programme\" runs on this computer.",
              on_click=act, args=("making the programme active", activate))
    if st.session_state.get(CONFIRM_DELETE) == pick:
        st.warning(f"Delete “{title}” for good? The workouts already done stay in the "
                   "history.", icon=":material/delete:")
        y, n, _ = st.columns([1, 1, 3])
        y.button("Yes, delete it", type="primary", key="programme_delete_yes", on_click=act,
                 args=("deleting the programme", delete))
        n.button("Cancel", key="programme_delete_no",
                 on_click=lambda: st.session_state.pop(CONFIRM_DELETE, None))
    else:
        c3.button("Delete…", icon=":material/delete:", key="programme_delete",
                  width="stretch",
                  on_click=lambda: st.session_state.__setitem__(CONFIRM_DELETE, pick))


def _editor(choices: Mapping[str, Any]) -> None:
    draft = _draft()
    st.subheader("Edit: " + (draft["title"] or "new programme") if draft.get("saved")
                 else "New programme")
    if draft.get("saved"):
        st.button("Start a new programme instead", key="programme_new", icon=":material/add:",
                  on_click=lambda: open_draft(new_draft()))
    sync(draft)
    programme, errors = check(draft)
    _show(errors, None)
    c1, c2, c3 = st.columns([2, 2, 1])
    for col, field, label, value in ((c1, "title", "Programme title", draft["title"]),
                                     (c2, "patient", "Patient's name (optional)",
                                      draft["patient"])):
        _seed(W + field, value)
        with col:
            draft[field] = st.text_input(label, key=W + field)
            _show(errors, (None, field))
    _seed(W + "times_per_week", _typed("times_per_week", draft["times_per_week"]))
    with c3:
        draft["times_per_week"] = st.number_input("Times a week", step=1,
                                                  key=W + "times_per_week")
        _show(errors, (None, "times_per_week"))
    _seed(W + "notes", draft["notes"])
    draft["notes"] = st.text_area("Notes for the patient (optional)", key=W + "notes",
                                  height=80)
    _show(errors, (None, "notes"))

    st.markdown("##### Exercises")
    if not draft["items"]:
        st.caption("No exercises yet: add them from the library below.")
    for pos, item in enumerate(list(draft["items"])):
        _item(draft, pos, item, choices, errors)
    _add_exercise(draft, choices)

    st.markdown("##### Save and share")
    if not draft["items"]:
        st.caption("Add at least one exercise to save or export the programme.")
        return
    if programme is None:
        st.warning("Fix the messages above to save or export the programme.",
                   icon=":material/warning:")
        return
    s1, s2, d1, d2 = st.columns(4)
    s1.button("Save", type="primary", icon=":material/save:", key="programme_save",
              width="stretch", on_click=act, args=("saving the programme", save_draft))
    s2.button("Save and make active", icon=":material/play_circle:",
              key="programme_save_active", width="stretch",
              help="The patient's \"Today's programme\" on this computer runs it.",
              on_click=act, args=("saving the programme", lambda: save_draft(active=True)))
    stem = download_name(draft["title"] or "programme", "")
    d1.download_button("Download for the patient (TOML)", dumps_programme(programme, "toml"),
                       f"{stem}.toml", "application/toml", icon=":material/download:",
                       width="stretch", key="programme_toml", on_click="ignore",
                       help="One readable file: the patient installs it on the "
                            "\"Today's programme\" page.")
    d2.download_button("Download as JSON", dumps_programme(programme, "json"), f"{stem}.json",
                       "application/json", icon=":material/data_object:", width="stretch",
                       key="programme_json", on_click="ignore")


def save_draft(active: bool = False) -> str | None:
    """Save the draft as it is in the inputs now (the button's click, before the run)."""
    draft = _draft()
    sync(draft)
    programme, _errors = check(draft)
    if programme is None:  # the page shows why
        return None
    saved = save(programme, active=active)
    draft.update(id=saved.id, created=saved.created, saved=True)
    return f"Saved “{saved.title}”" + (" as the active programme." if active else ".")


def _item(draft: dict[str, Any], pos: int, item: dict[str, Any],
          choices: Mapping[str, Any], errors: Mapping[Any, list[str]]) -> None:
    uid = item["uid"]
    ex = choices.get(item["exercise"])
    hold = ex is not None and ex.kind == "hold"
    k = f"{W}{uid}_"
    with st.container(border=True):
        head, up, down, remove = st.columns([6, 1, 1, 1.4], vertical_alignment="center")
        title = ex.title if ex is not None else item["exercise"]
        head.markdown(f"**{pos + 1}. {title}** · "
                      + ("hold (timed)" if hold else "reps (counted)"))
        if ex is not None:
            head.caption(f"Set-up: {ex.setup_cue}. Camera: {_views(ex.views)}.")
        # Callbacks run before the next run draws anything: the list is drawn once, in order.
        up.button("↑", key=k + "up", disabled=pos == 0, help="Move up", on_click=move,
                  args=(uid, -1))
        down.button("↓", key=k + "down", disabled=pos == len(draft["items"]) - 1,
                    help="Move down", on_click=move, args=(uid, 1))
        remove.button("Remove", key=k + "remove", icon=":material/close:", on_click=drop,
                      args=(uid,))
        _show(errors, (uid, None))
        _show(errors, (uid, "exercise"))
        cols = st.columns(5)
        fields: list[tuple[str, str, dict[str, Any]]] = [
            ("sets", "Sets", {"step": 1}),
            (("hold_s", "Hold (seconds)", {"step": 5.0, "format": "%.0f"}) if hold
             else ("reps", "Reps per set", {"step": 1})),
            ("rest_s", "Rest between sets (s)", {"step": 5.0, "format": "%.0f"}),
        ]
        if ex is None or ex.rom is not None:  # an exercise that measures no range has none
            fields.append(("rom_target_deg", "Range target (°)",
                           {"step": 1.0, "format": "%.0f",
                            "help": "Prefilled with the exercise's default target; empty: "
                                    "no target."}))
        for col, (field, label, opts) in zip(cols, fields, strict=False):
            _seed(k + field, _typed(field, item.get(field)))
            with col:
                item[field] = st.number_input(label, key=k + field, **opts)
                if field == "rom_target_deg":
                    _target_meaning(item["exercise"], item[field])
                _show(errors, (uid, field))
        _seed(k + "side", item.get("side") or "both")
        with cols[4]:
            item["side"] = st.selectbox("Side", SIDES, key=k + "side",
                                        format_func=SIDE_WORDS.__getitem__)
            _show(errors, (uid, "side"))
        _seed(k + "notes", item.get("notes") or "")
        item["notes"] = st.text_input("Notes (optional)", key=k + "notes")
        _show(errors, (uid, "notes"))
        shown = {f for f, _, _ in fields} | {None, "exercise", "side", "notes"}
        other = [f for (u, f) in (e for e in errors if isinstance(e, tuple))
                 if u == uid and f not in shown]
        for f in other:
            _show(errors, (uid, f))


def _target_meaning(key: str, value: Any) -> None:
    """Under a signed range target (-8 for the bird-dog's leg), what the sign means."""
    from posture.exercises.words import rom_words

    if value is None:
        return
    words = rom_words(key, float(value))
    if words != f"{float(value):.0f}°":  # a signed metric: say it ("8° below level")
        st.caption(f"Target: {words}", help="The angle is signed: for this exercise "
                   "negative means below level (a limb) or back (the trunk).")


def _views(views: Any) -> str:
    from posture.activities.lifting import views_phrase

    return str(views_phrase(views))


def _add_exercise(draft: dict[str, Any], choices: Mapping[str, Any]) -> None:
    with st.container(border=True):
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        key = c1.selectbox("Add an exercise from the library", list(choices),
                           key="programme_add_pick",
                           format_func=lambda k: f"{KIND_GROUPS[choices[k].kind].split(' (')[0]}"
                                                 f" · {choices[k].title}")
        if key is not None:
            ex = choices[key]
            c1.caption(f"{ex.trains + '. ' if ex.trains else ''}Set-up: {ex.setup_cue}. "
                       f"Camera: {_views(ex.views)}.")
        c2.button("Add", icon=":material/add:", key="programme_add", width="stretch",
                  on_click=lambda: add(st.session_state.get("programme_add_pick")))


def _import_section() -> None:
    st.subheader("Open a programme file")
    st.caption("A programme file (.toml or .json) made here or by hand: open it to edit, or "
               "install it as the active programme on this computer.")
    up = st.file_uploader("Programme file", type=["toml", "json"], key="programme_upload")
    if up is None:
        return
    try:
        programme = load_programme(up.getvalue())
    except ProgrammeError as err:
        for problem in err.problems:
            st.error(problem, icon=":material/error:")
        return
    n = len(programme.prescriptions)
    st.info(f"“{programme.title}”"
            + (f" for {programme.patient}" if programme.patient else "")
            + f": {n} exercise{'s' if n != 1 else ''}, {programme.times_per_week} times a week.",
            icon=":material/description:")
    def install() -> str:
        save(programme, active=True)
        return f"“{programme.title}” is installed as the active programme."

    c1, c2, _ = st.columns([1, 1.4, 2])
    c1.button("Open to edit", key="programme_import_edit", icon=":material/edit:",
              width="stretch", on_click=lambda: open_draft(draft_from(programme, saved=False)))
    c2.button("Install as the active programme", key="programme_import_install",
              icon=":material/play_circle:", width="stretch", on_click=act,
              args=("installing the programme", install))


def _how_to_add() -> None:
    with st.expander("How to add your own exercise", icon=":material/help:"):
        st.markdown(
            f"Each exercise is one TOML file in `{LIBRARY_FOLDER}/` (the file name is the "
            "exercise's key). Copy the closest one — for example `glute_bridge.toml` for a "
            "movement counted in reps, or `front_plank.toml` for a timed hold — give it a new "
            "`key` and `title`, and change its set-up cue, start position, phases or hold "
            "band, range-of-motion target and form rules. Every number needs a `source`: a "
            "citation, or \"default to calibrate\". The README's section on home exercises "
            "walks through a complete example, and `docs/exercise-criteria.md` says where "
            "each exercise's numbers come from. Try the new file on a short recording with "
            "`posture analyze CLIP --exercise KEY` (or Review a recording → A home "
            "exercise), then restart the app to see it here.")
        st.markdown(
            f"A programme file written by hand: see `{EXAMPLE_PROGRAMME}` (open it above with "
            "*Open a programme file*); `posture programme check FILE` checks one from the "
            "command line.")
