"""The study's plots (PNG): AUROC per negative kind and per fps bucket, score distributions,
ROC curves and the ablation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from avbench.metrics.fileio import atomic_write

from .conditions import SYNCED
from .study import FPS_BUCKETS, StudySettings


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _save(fig, path: Path) -> Path:
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", bbox_inches="tight")
    return path


def _auroc_bars(plt, summary: pd.DataFrame, facet_groups: list[tuple[str, str]], title: str, path: Path) -> Path:
    presets = list(dict.fromkeys(summary["preset"]))
    present = [(f, g) for f, g in facet_groups if ((summary["facet"] == f) & (summary["group"] == g)).any()]
    width = 0.8 / len(presets)
    fig, ax = plt.subplots(figsize=(max(7.0, 1.5 * len(present) + 2.5), 4.2), dpi=120)
    colors = plt.get_cmap("tab10")
    for i, preset in enumerate(presets):
        values, lows, highs = [], [], []
        for facet, group in present:
            row = summary[(summary["preset"] == preset) & (summary["facet"] == facet) & (summary["group"] == group)]
            r = row.iloc[0] if len(row) else None
            values.append(np.nan if r is None else r["auroc"])
            lows.append(np.nan if r is None else r["auroc"] - r["ci95_low"])
            highs.append(np.nan if r is None else r["ci95_high"] - r["auroc"])
        x = np.arange(len(present)) + (i - (len(presets) - 1) / 2) * width
        ax.bar(x, values, width, yerr=[lows, highs], capsize=2, label=preset, color=colors(i), error_kw={"lw": 0.8})
    ax.axhline(0.5, color="0.3", ls="--", lw=1)
    ax.text(len(present) - 0.5, 0.51, "chance", ha="right", va="bottom", fontsize=8, color="0.3")
    ax.set_xticks(np.arange(len(present)), [g for _, g in present])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("AUROC (synced vs negative), 95% CI")
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(presets), 5), frameon=False, fontsize=9)
    return _save(fig, path)


def _distributions(plt, scores: pd.DataFrame, settings: StudySettings, path: Path) -> Path:
    presets = list(dict.fromkeys(scores["preset"]))
    groups = [SYNCED] + settings.groups
    fig, axes = plt.subplots(len(presets), 1, figsize=(9, 2.3 * len(presets) + 0.4), dpi=120, squeeze=False)
    for ax, preset in zip(axes[:, 0], presets):
        part = scores[scores["preset"] == preset]
        data = [part.loc[part["group"] == g, "score"].dropna().to_numpy() for g in groups]
        keep = [i for i, d in enumerate(data) if d.size]
        box = ax.boxplot([data[i] for i in keep], positions=range(len(keep)), widths=0.6, patch_artist=True,
                         showfliers=False, medianprops={"color": "black"})
        for patch, i in zip(box["boxes"], keep):
            patch.set_facecolor("tab:green" if groups[i] == SYNCED else "tab:gray")
            patch.set_alpha(0.6)
        rng = np.random.default_rng(0)
        for pos, i in enumerate(keep):
            ax.scatter(pos + rng.uniform(-0.22, 0.22, data[i].size), data[i], s=4, color="black", alpha=0.35, lw=0)
        ax.set_xticks(range(len(keep)), [groups[i] for i in keep])
        ax.set_ylabel("score")
        ax.set_title(preset, loc="left")
    fig.suptitle("Score per condition (green: synced; boxes: quartiles; dots: pairs)", y=1.0)
    fig.tight_layout()
    return _save(fig, path)


def _roc(plt, scores: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.2, 5.0), dpi=120)
    for preset, part in scores.groupby("preset", sort=False):
        part = part.dropna(subset=["score"])
        pos, neg = part.loc[part["synced"], "score"].to_numpy(), part.loc[~part["synced"], "score"].to_numpy()
        if not pos.size or not neg.size:
            continue
        thresholds = np.append(np.unique(np.concatenate([pos, neg]))[::-1], -np.inf)
        tpr = [(pos >= t).mean() for t in thresholds]
        fpr = [(neg >= t).mean() for t in thresholds]
        ax.plot(np.r_[0, fpr], np.r_[0, tpr], lw=1.5, label=preset)
    ax.plot([0, 1], [0, 1], color="0.5", ls="--", lw=1)
    ax.set_xlabel("false positive rate (negatives scored ≥ t)")
    ax.set_ylabel("true positive rate (synced scored ≥ t)")
    ax.set_title("ROC, all negatives")
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def _ablation(plt, ablation: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(ablation) + 1.2), dpi=120)
    y = np.arange(len(ablation))[::-1]
    for offset, split, color in ((0.18, "dev", "tab:blue"), (-0.18, "held-out", "tab:orange")):
        auc = ablation[f"{split} auroc"].to_numpy(dtype=float)
        err = [auc - ablation[f"{split} ci95_low"].to_numpy(dtype=float),
               ablation[f"{split} ci95_high"].to_numpy(dtype=float) - auc]
        ax.errorbar(auc, y + offset, xerr=err, fmt="o", color=color, ms=4, capsize=2, lw=1, label=split)
    ax.set_yticks(y, ablation["change"])
    ax.axvline(0.5, color="0.3", ls="--", lw=1)
    ax.set_xlabel("AUROC, all negatives (95% CI)")
    ax.set_title("Calibrated preset: ablation", pad=22)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=9, frameon=False)
    return _save(fig, path)


def write_plots(out: Path, scores: pd.DataFrame, summary: pd.DataFrame, ablation: pd.DataFrame | None,
                settings: StudySettings, title: str) -> list[Path]:
    """`auroc_negatives.png`, `auroc_fps.png`, `distributions.png`, `roc.png` and, with an
    ablation, `ablation.png` in `out`."""
    plt = _pyplot()
    paths = [
        _auroc_bars(plt, summary, [("all", "all negatives")] + [("negatives", g) for g in settings.groups],
                    f"{title}: AUROC per negative kind", out / "auroc_negatives.png"),
        _auroc_bars(plt, summary, [("all", "all negatives")] + [("fps", b) for b, _ in FPS_BUCKETS],
                    f"{title}: AUROC per fps bucket", out / "auroc_fps.png"),
        _distributions(plt, scores, settings, out / "distributions.png"),
        _roc(plt, scores, out / "roc.png"),
    ]
    if ablation is not None and len(ablation):
        paths.append(_ablation(plt, ablation, out / "ablation.png"))
    plt.close("all")
    return paths
