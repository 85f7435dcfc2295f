"""Sound lab tab: make sound, change it through a chain of effects, SpecAugment it, augment a set
(seeds 002, 003). Widgets and wiring only; the work is in ``pipelines.sound_lab``."""

from __future__ import annotations

import gradio as gr

from pipelines.core.errors import UserError
from pipelines.sound_lab import (
    EFFECTS,
    LAYERS,
    PRESETS,
    AugmentOptions,
    EffectsOptions,
    SpecAugmentOptions,
    SynthOptions,
    chain_text,
    check_effects_length,
    effect_template,
    effects_help,
    facts_rows,
    layer_template,
    parse_chain,
    run_augment,
    run_effects,
    run_spec_augment,
    run_synthesize,
    synthesize,
)

from .common import (
    TabContext,
    audio_input,
    clear_on_error,
    clear_on_new_input,
    example_files,
    run_after_example,
    show_warnings,
    start_rule,
    user_errors,
)

TITLE = "Sound lab"

INTRO = """**Make sound and change it; hear and see every step.** Build a chain of effects (or pick a
preset), apply it to a recording, an upload, an example or a synthesized sound, and compare before
and after: players, facts, waveforms and spectrograms. The chain's text is what you save and paste
back (the API takes it, or the same as JSON). SpecAugment shows what a speech model's training sees;
**Augment a set** makes variants of your clips for a training set, as one zip with a manifest."""

ENGINE = (
    "Effects: Spotify's **pedalboard** (JUCE; GPL-3.0), pitch and time by its Rubber Band stretcher, "
    "loudness by **pyloudnorm** (ITU-R BS.1770-4), steep filters by scipy (Butterworth)."
)

EXAMPLES = ["speech_librivox.wav", "c_major_chord.wav", "drum_loop.wav", "a440_sine.wav", "stereo_sweeps.wav"]
FACTS_HEADERS = ["Fact", "Before", "After"]
NO_PRESET = "(none: build your own)"


def _inner(template: str) -> str:
    return template[template.index("(") + 1 : -1]


def _steps_table(chain: str) -> list[list[str]]:
    """The chain as a numbered list; a mistake shows as the only row (it is also raised on Apply)."""
    try:
        steps = parse_chain(chain)
    except UserError as exc:
        return [["!", "not a valid chain", str(exc)]]
    return [[str(i + 1), s.effect, s.text()[len(s.effect) + 1 : -1]] for i, s in enumerate(steps)]


def _compare(before, after) -> list[list[str]]:
    b, a = dict(facts_rows(before)), dict(facts_rows(after))
    return [[k, b[k], a.get(k, "")] for k in b]


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(True)  # Effects and SpecAugment; Augment a set says its own (slow) rule
    with gr.Tabs(selected="effects") as tabs:
        with gr.Tab("Effects", id="effects"):
            effects_audio, chain = effects_ui(ctx)
        ctx.register_input(effects_audio, fields={"chain": chain}, inner=(tabs, "effects"))
        with gr.Tab("Synthesize", id="synthesize"):
            synth_ui(ctx, tabs, effects_audio)
        with gr.Tab("SpecAugment", id="spec_augment"):
            spec_ui(ctx)
        with gr.Tab("Augment a set", id="augment"):
            augment_ui(ctx)


# --- effects ------------------------------------------------------------------------------


def effects_ui(ctx: TabContext) -> tuple[gr.Audio, gr.Textbox]:
    """The Effects sub-tab; returns its audio input and chain (other tabs send sounds to them)."""
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            audio = audio_input(elem_id="sound-lab-in")
            examples = gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Examples (click one)")
            gr.Markdown(ctx.limits_text())
            preset = gr.Dropdown(
                [NO_PRESET, *PRESETS], value=NO_PRESET, label="Preset (fills the chain)", elem_id="sound-lab-preset"
            )
            with gr.Group():
                with gr.Row():
                    effect = gr.Dropdown(
                        list(EFFECTS), value="highpass", label="Effect", elem_id="sound-lab-effect", min_width=140
                    )
                    params = gr.Textbox(
                        _inner(effect_template("highpass")),
                        label="Parameters",
                        elem_id="sound-lab-params",
                        min_width=160,
                    )
                with gr.Row():
                    add = gr.Button("Add to chain", elem_id="sound-lab-add", size="sm")
                    undo = gr.Button("Remove last", size="sm")
                    clear = gr.Button("Clear", size="sm")
            chain = gr.Textbox(
                EffectsOptions().chain,
                label="Chain (copy it to save; paste text or JSON to load)",
                lines=3,
                elem_id="sound-lab-chain",
            )
            steps = gr.Dataframe(
                _steps_table(EffectsOptions().chain),
                headers=["#", "Effect", "Parameters"],
                label="The chain, in order",
                interactive=False,
                elem_id="sound-lab-steps",
                wrap=True,
                column_widths=["10%", "30%", "60%"],  # the parameters need the room: no sideways scroll
            )
            run = gr.Button("Apply chain", variant="primary", elem_id="sound-lab-apply")
            with gr.Accordion("Effects and their parameters (* = required)", open=False):
                gr.Dataframe(effects_help(), headers=["Effect", "Parameters (range)", "What it does"], wrap=True)
        with gr.Column(scale=2):
            with gr.Row():
                before_audio = gr.Audio(label="Before", type="filepath", interactive=False, elem_id="sound-lab-before")
                after_audio = gr.Audio(
                    label="After", type="filepath", interactive=False, elem_id="sound-lab-after", buttons=["download"]
                )
            ctx.send_menu(after_audio, "sound-lab-send")
            facts = gr.Dataframe(
                headers=FACTS_HEADERS,
                label="Facts",
                interactive=False,
                elem_id="sound-lab-facts",
                wrap=True,
                column_widths=["36%", "32%", "32%"],
            )
            report = gr.Markdown(ENGINE, elem_id="sound-lab-report")
            with gr.Row():
                before_wave = _image("Before: waveform", "sound-lab-before-wave")
                after_wave = _image("After: waveform", "sound-lab-after-wave")
            with gr.Row():
                before_spec = _image("Before: spectrogram", "sound-lab-before-spec")
                after_spec = _image("After: spectrogram", "sound-lab-after-spec")

    def fill_params(name="highpass"):
        return _inner(effect_template(name)) if name in EFFECTS else ""

    effect.change(fill_params, effect, params, api_name="sound_lab_effect_params", api_visibility="undocumented")

    @user_errors
    def add_step(chain="", effect="highpass", params=""):
        new = f"{effect}({params or ''})"
        parse_chain(new)  # a mistake in the new step is said now, not on Apply
        joined = f"{chain.strip()} | {new}" if chain and chain.strip() else new
        return chain_text(parse_chain(joined)) if not joined.lstrip().startswith("[") else joined

    add.click(add_step, [chain, effect, params], chain, api_name="sound_lab_add", api_visibility="undocumented")

    def remove_last(chain=""):
        try:
            return chain_text(parse_chain(chain)[:-1])
        except UserError:
            return chain

    undo.click(remove_last, chain, chain, api_name="sound_lab_remove_last", api_visibility="undocumented")
    clear.click(lambda: "", None, chain, api_name="sound_lab_clear", api_visibility="undocumented")
    preset.change(
        lambda p=NO_PRESET: PRESETS.get(p, gr.skip()),
        preset,
        chain,
        api_name="sound_lab_preset",
        api_visibility="undocumented",
    )
    chain.change(_steps_table, chain, steps, api_name="sound_lab_steps", api_visibility="undocumented")

    @user_errors
    def apply_effects(source, chain=EffectsOptions().chain, progress=gr.Progress()):
        """Run audio through a chain of effects; returns the result, its facts before and after, waveforms and spectrograms.

        Args:
            source: the audio file.
            chain: the effects in order, as text ("highpass(hz=120) | compressor(threshold_db=-20, ratio=4) | normalize_loudness(lufs=-16)") or as a JSON list of {"effect": name, ...parameters}.
        """
        progress(0.1, desc="Applying the chain")
        if isinstance(source, str):
            check_effects_length(source)  # before decoding a file that is too long
        audio = ctx.load(source)
        check_effects_length(None, audio.duration)
        result = run_effects(audio, chain, ctx.settings.new_output_dir("sound-lab"), ctx.settings.max_seconds)
        show_warnings(result.warnings)
        notes = "".join(f"\n- {w}" for w in result.warnings)
        text = f"**Applied:** `{chain_text(result.steps)}`\n\n{ENGINE}" + (f"\n\n**Warnings:**{notes}" if notes else "")
        b, a = result.before, result.after
        return (
            str(b.wav),
            str(a.wav),
            _compare(b.facts, a.facts),
            text,
            str(b.waveform),
            str(a.waveform),
            str(b.spectrogram),
            str(a.spectrogram),
        )

    results = [before_audio, after_audio, facts, report, before_wave, after_wave, before_spec, after_spec]
    blank = {report: ENGINE}  # the engine note stays; "Applied: ..." of another sound goes
    clear_on_error(
        gr.on(
            [run.click, audio.upload, audio.stop_recording],  # quick: a new sound is processed at once
            apply_effects,
            [audio, chain],
            results,
            api_name="effects",
            concurrency_limit=2,
        ),
        results,
        initial=blank,
    )
    clear_on_error(run_after_example(examples, apply_effects, [audio, chain], results, "effects_example"), results)
    clear_on_new_input(audio, results, api_name="sound_lab_clear_stale", initial=blank)
    return audio, chain


def _image(label: str, elem_id: str, show_label: bool = False) -> gr.Image:
    return gr.Image(
        label=label,
        type="filepath",
        format="png",
        interactive=False,
        buttons=["download", "fullscreen"],
        elem_id=elem_id,
        min_width=300,
        show_label=show_label,  # before/after figures: their titles say what they are
    )


# --- synthesize ---------------------------------------------------------------------------


def synth_ui(ctx: TabContext, tabs: gr.Tabs, target: gr.Audio) -> None:
    o = SynthOptions()
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            gr.Markdown(
                "Layers are mixed: tones (sine, square, sawtooth, triangle), chords from note names "
                "(`A4 C#5 E5`) or frequencies, white/pink/brown noise, sweeps and silence, each with its own "
                "amplitude (and length: `seconds=0` is the duration below)."
            )
            with gr.Group():
                with gr.Row():
                    kind = gr.Dropdown(list(LAYERS), value="sine", label="Layer", elem_id="synth-kind", min_width=120)
                    params = gr.Textbox(_inner(layer_template("sine")), label="Parameters", min_width=160)
                add = gr.Button("Add layer", size="sm", elem_id="synth-add")
            recipe = gr.Textbox(o.recipe, label="Recipe (layers joined by +)", lines=3, elem_id="synth-recipe")
            with gr.Row():
                seconds = gr.Number(o.seconds, label="Duration (s)", minimum=0.05, maximum=600)
                rate = gr.Dropdown(
                    [8000, 16000, 22050, 44100, 48000], value=o.sample_rate, label="Sample rate (Hz)", min_width=120
                )
            run = gr.Button("Synthesize", variant="primary", elem_id="synth-run")
        with gr.Column(scale=2):
            out = gr.Audio(
                label="Synthesized", type="filepath", interactive=False, buttons=["download"], elem_id="synth-out"
            )
            send = gr.Button("Send to Effects", elem_id="synth-send")
            ctx.send_menu(out, "synth-send-to")
            facts = gr.Dataframe(headers=["Fact", "Value"], label="Facts", interactive=False)
            wave = _image("Waveform", "synth-wave")
            spec = _image("Spectrogram", "synth-spec")

    kind.change(
        lambda k="sine": _inner(layer_template(k)) if k in LAYERS else "",
        kind,
        params,
        api_name="synth_layer_params",
        api_visibility="undocumented",
    )

    @user_errors
    def add_layer(recipe="", kind="sine", params=""):
        new = f"{kind}({params or ''})"
        synthesize(new, seconds=0.05)  # a mistake in the layer is said now
        return f"{recipe.strip()} + {new}" if recipe and recipe.strip() else new

    add.click(add_layer, [recipe, kind, params], recipe, api_name="synth_add_layer", api_visibility="undocumented")

    @user_errors
    def synthesize_sound(recipe=o.recipe, seconds=o.seconds, sample_rate=o.sample_rate):
        """Make a sound from numbers: tones, chords (note names such as "A4 C#5 E5"), noises, sweeps and silence, mixed as layers.

        Args:
            recipe: the layers joined by "+", e.g. 'chord(notes="A4 C#5 E5", amplitude=0.5) + sine(hz=110)'.
            seconds: length of the sound in seconds.
            sample_rate: sample rate of the result in Hz.
        """
        options = SynthOptions(recipe or "", float(seconds or o.seconds), int(sample_rate or o.sample_rate))
        result = run_synthesize(options, ctx.settings.new_output_dir("synth"), ctx.settings.max_seconds)
        show_warnings(result.warnings)
        r = result.look
        return str(r.wav), facts_rows(r.facts), str(r.waveform), str(r.spectrogram)

    results = [out, facts, wave, spec]
    clear_on_error(
        gr.on(
            [run.click, recipe.submit],
            synthesize_sound,
            [recipe, seconds, rate],
            results,
            api_name="synthesize",
            concurrency_limit=2,
        ),
        results,
    )
    # another recipe, length or rate: the sound shown is no longer the one they make
    clear_on_new_input([recipe, seconds, rate], results, api_name="synth_clear_stale", in_browser=True)

    @user_errors
    def send_to_effects(path=None):
        if not path:
            raise UserError("Synthesize a sound first, then send it to Effects.")
        return path, gr.Tabs(selected="effects")

    send.click(send_to_effects, out, [target, tabs], api_name="synth_send", api_visibility="undocumented")


# --- SpecAugment --------------------------------------------------------------------------


def spec_ui(ctx: TabContext) -> None:
    o = SpecAugmentOptions()
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            gr.Markdown(
                "**SpecAugment** (Park et al. 2019) hides stripes of a mel spectrogram while a speech model "
                "trains: **frequency masks** (bands of mel bins), **time masks** (spans of frames) and a "
                "**time warp**. Each width is drawn from 0 to its maximum; the seed repeats the draw."
            )
            audio = audio_input(elem_id="spec-in")
            examples = gr.Examples(example_files(*EXAMPLES[:3]), inputs=audio, label="Examples (click one)")
            freq_masks = gr.Slider(0, 10, value=o.freq_masks, step=1, label="Frequency masks")
            freq_width = gr.Slider(
                0, 80, value=o.freq_width, step=1, label="Frequency mask width, at most (mel bins of 80)"
            )
            time_masks = gr.Slider(0, 10, value=o.time_masks, step=1, label="Time masks")
            time_width = gr.Slider(
                0, 200, value=o.time_width, step=1, label="Time mask width, at most (frames of 256 samples)"
            )
            warp = gr.Slider(0, 80, value=o.time_warp, step=1, label="Time warp (frames, 0 = off)")
            seed = gr.Number(o.seed, label="Seed", precision=0, minimum=0)
            run = gr.Button("Mask and rebuild", variant="primary", elem_id="spec-run")
        with gr.Column(scale=2):
            before = _image("Mel spectrogram before", "spec-before", show_label=True)
            after = _image("Mel spectrogram after (masked bins are zero)", "spec-after", show_label=True)
            rebuilt = gr.Audio(
                label="Rebuilt from the masked spectrogram (Griffin-Lim)",
                type="filepath",
                interactive=False,
                buttons=["download"],
                elem_id="spec-audio",
            )
            info = gr.Markdown(elem_id="spec-info")

    @user_errors
    def spec_augment(
        source,
        time_masks=o.time_masks,
        time_width=o.time_width,
        freq_masks=o.freq_masks,
        freq_width=o.freq_width,
        time_warp=o.time_warp,
        seed=o.seed,
    ):
        audio = ctx.load(source)
        options = SpecAugmentOptions(time_masks, time_width, freq_masks, freq_width, time_warp, seed)
        r = run_spec_augment(audio, options, ctx.settings.new_output_dir("spec-augment"))
        return str(r.before_png), str(r.after_png), str(r.rebuilt_wav), r.description

    inputs = [audio, time_masks, time_width, freq_masks, freq_width, warp, seed]
    results = [before, after, rebuilt, info]
    clear_on_error(
        gr.on(
            [run.click, audio.upload, audio.stop_recording],  # quick: a new sound is masked at once
            spec_augment,
            inputs,
            results,
            api_name="spec_augment",
            concurrency_limit=2,
        ),
        results,
    )
    clear_on_error(run_after_example(examples, spec_augment, inputs, results, "spec_augment_example"), results)
    clear_on_new_input(audio, results, api_name="spec_augment_clear_stale")


# --- augment a set ------------------------------------------------------------------------


def augment_ui(ctx: TabContext) -> None:
    o = AugmentOptions()
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            gr.Markdown(
                "Each clip gets N variants, each through its own random chain drawn within these ranges "
                "(pitch, speed, reverb, noise, masks, gain). The same files and seed give the same zip; "
                "`manifest.csv` lists the chain each file got (paste one into Effects to hear it again)."
            )
            start_rule(False)  # a set of clips and several variants each: only the button
            files = gr.File(label="Clips (one or more)", file_count="multiple", file_types=["audio"], elem_id="aug-in")
            variants = gr.Slider(1, 20, value=o.variants, step=1, label="Variants per clip")
            seed = gr.Number(o.seed, label="Seed", precision=0, minimum=0)
            pitch = gr.Slider(0, 12, value=o.pitch_semitones, step=0.5, label="Pitch shift up to ± (semitones)")
            speed_min = gr.Slider(0.5, 2, value=o.speed_min, step=0.01, label="Speed from")
            speed_max = gr.Slider(0.5, 2, value=o.speed_max, step=0.01, label="Speed to")
            gain = gr.Slider(0, 24, value=o.gain_db, step=0.5, label="Gain up to ± (dB)")
            snr_min = gr.Slider(-10, 80, value=o.snr_min_db, step=1, label="Noise SNR from (dB)")
            snr_max = gr.Slider(0, 80, value=o.snr_max_db, step=1, label="Noise SNR to (dB, 0 = no noise)")
            reverb = gr.Slider(0, 1, value=o.reverb_max_wet, step=0.05, label="Reverb wet up to (0 = off)")
            time_masks = gr.Slider(0, 5, value=o.time_masks, step=1, label="Time masks")
            freq_masks = gr.Slider(0, 5, value=o.freq_masks, step=1, label="Frequency masks")
            run = gr.Button("Augment", variant="primary", elem_id="aug-run")
        with gr.Column(scale=2):
            zip_out = gr.File(label="Augmented set (WAVs + manifest.csv, zip)", interactive=False, elem_id="aug-zip")
            manifest = gr.Dataframe(
                headers=["file", "source", "variant", "seed", "duration_s", "chain"],
                label="Manifest",
                interactive=False,
                wrap=True,
                elem_id="aug-manifest",
            )

    @user_errors
    def augment(
        files,
        variants=o.variants,
        seed=o.seed,
        pitch_semitones=o.pitch_semitones,
        speed_min=o.speed_min,
        speed_max=o.speed_max,
        gain_db=o.gain_db,
        snr_min_db=o.snr_min_db,
        snr_max_db=o.snr_max_db,
        reverb_max_wet=o.reverb_max_wet,
        time_masks=o.time_masks,
        freq_masks=o.freq_masks,
        progress=gr.Progress(),
    ):
        if isinstance(files, (str, dict)):
            files = [files]
        audios = [ctx.load(f) for f in files or []]
        for a in audios:
            show_warnings([f"{a.name}: {w}" for w in a.warnings])
        options = AugmentOptions(
            variants,
            seed,
            pitch_semitones,
            speed_min,
            speed_max,
            gain_db,
            snr_min_db,
            snr_max_db,
            reverb_max_wet,
            time_masks,
            freq_masks,
        )
        result = run_augment(
            audios,
            options,
            ctx.settings.new_output_dir("augment"),
            ctx.settings.max_seconds,
            max_total_seconds=ctx.settings.max_seconds,
            progress=lambda share, desc: progress(share, desc=desc),
        )
        show_warnings(result.warnings)
        return str(result.zip_path), [
            [r[k] for k in ("file", "source", "variant", "seed", "duration_s", "chain")] for r in result.rows
        ]

    results = [zip_out, manifest]
    clear_on_error(
        run.click(
            augment,
            [
                files,
                variants,
                seed,
                pitch,
                speed_min,
                speed_max,
                gain,
                snr_min,
                snr_max,
                reverb,
                time_masks,
                freq_masks,
            ],
            results,
            api_name="augment",
            concurrency_limit=1,
        ),
        results,
    )
    clear_on_new_input(files, results, api_name="augment_clear_stale")
