"""DeepLab v3: shapes, torchvision's parameter names, weights files and their errors."""

import hashlib
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from inference.errors import NoWeightsError, WeightsError, WeightsMismatchError
from inference.model import (
    ModelConfig,
    build_model,
    forward_flops,
    load_for_finetuning,
    load_model,
    read_weights,
    resolve_weights,
    save_weights,
    weights_sha256,
)
from inference.model.deeplab import DeepLabV3


def torchvision_deeplabv3_keys(
    width: int = 64, aspp: int = 256, classes: int = 21, aux: bool = True
) -> dict[str, list[int]]:
    """torchvision's deeplabv3_resnet50 state dict (names and shapes), from its architecture.

    ResNet-50 (Bottleneck x [3, 4, 6, 3], expansion 4, stride on conv2), DeepLabHead
    (ASPP with 1x1, three 3x3 atrous and an image-pooling branch, a 1x1 projection, a 3x3
    conv, the classifier), and the FCN auxiliary head on layer3. Written independently of
    the model code so that a renamed module fails the comparison.
    """
    keys: dict[str, list[int]] = {}

    def bn(prefix: str, channels: int) -> None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{prefix}.{name}"] = [channels]
        keys[f"{prefix}.num_batches_tracked"] = []

    keys["backbone.conv1.weight"] = [width, 3, 7, 7]
    bn("backbone.bn1", width)
    inputs = width
    for layer, blocks in enumerate((3, 4, 6, 3), start=1):
        planes = width * 2 ** (layer - 1)
        for block in range(blocks):
            prefix = f"backbone.layer{layer}.{block}"
            keys[f"{prefix}.conv1.weight"] = [planes, inputs, 1, 1]
            bn(f"{prefix}.bn1", planes)
            keys[f"{prefix}.conv2.weight"] = [planes, planes, 3, 3]
            bn(f"{prefix}.bn2", planes)
            keys[f"{prefix}.conv3.weight"] = [planes * 4, planes, 1, 1]
            bn(f"{prefix}.bn3", planes * 4)
            if block == 0:
                keys[f"{prefix}.downsample.0.weight"] = [planes * 4, inputs, 1, 1]
                bn(f"{prefix}.downsample.1", planes * 4)
            inputs = planes * 4
    aspp_prefix = "classifier.0"
    keys[f"{aspp_prefix}.convs.0.0.weight"] = [aspp, inputs, 1, 1]
    bn(f"{aspp_prefix}.convs.0.1", aspp)
    for branch in (1, 2, 3):
        keys[f"{aspp_prefix}.convs.{branch}.0.weight"] = [aspp, inputs, 3, 3]
        bn(f"{aspp_prefix}.convs.{branch}.1", aspp)
    keys[f"{aspp_prefix}.convs.4.1.weight"] = [aspp, inputs, 1, 1]
    bn(f"{aspp_prefix}.convs.4.2", aspp)
    keys[f"{aspp_prefix}.project.0.weight"] = [aspp, 5 * aspp, 1, 1]
    bn(f"{aspp_prefix}.project.1", aspp)
    keys["classifier.1.weight"] = [aspp, aspp, 3, 3]
    bn("classifier.2", aspp)
    keys["classifier.4.weight"] = [classes, aspp, 1, 1]
    keys["classifier.4.bias"] = [classes]
    if aux:
        keys["aux_classifier.0.weight"] = [width * 4, width * 16, 3, 3]
        bn("aux_classifier.1", width * 4)
        keys["aux_classifier.4.weight"] = [classes, width * 4, 1, 1]
        keys["aux_classifier.4.bias"] = [classes]
    return keys


def torchvision_checkpoint(path: Path, width: int, aspp: int, classes: int) -> Path:
    """A plain state dict with torchvision's names (and an aux head), like its .pth files."""
    state = {
        key: torch.randn(shape) if shape else torch.tensor(0)
        for key, shape in torchvision_deeplabv3_keys(width, aspp, classes).items()
    }
    for key in state:
        if key.endswith("running_var"):
            state[key] = state[key].abs() + 0.5
    torch.save(state, path)
    return path


def small(**fields: object) -> ModelConfig:
    values: dict[str, object] = {"depth": 50, "width": 4, "aspp_channels": 8}
    values.update(fields)
    return ModelConfig.for_stride(8, **values)


@pytest.mark.parametrize("depth", [18, 34, 50])
@pytest.mark.parametrize("stride", [8, 16])
def test_output_is_one_logit_per_input_pixel(depth: int, stride: int) -> None:
    model = build_model(ModelConfig.for_stride(stride, depth=depth, width=4, aspp_channels=8))
    with torch.no_grad():
        logits = model(torch.rand(2, 3, 72, 88))
        features = model.backbone(torch.rand(1, 3, 64, 96))
    assert logits.shape == (2, 1, 72, 88)
    assert features.shape[-2:] == (64 // stride, 96 // stride)


def test_resnet50_state_dict_matches_torchvision_names_and_shapes() -> None:
    with torch.device("meta"):
        model = DeepLabV3(ModelConfig(num_classes=21))
    ours = {key: list(value.shape) for key, value in model.state_dict().items()}
    expected = torchvision_deeplabv3_keys(aux=False)
    assert ours == expected
    assert len(expected) == 362


def test_width_and_aspp_channels_scale_the_same_names() -> None:
    model = build_model(small(num_classes=21))
    ours = {key: list(value.shape) for key, value in model.state_dict().items()}
    assert ours == torchvision_deeplabv3_keys(width=4, aspp=8, aux=False)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_weights_file_alone_rebuilds_the_model(tmp_path: Path, suffix: str) -> None:
    config = ModelConfig.for_stride(
        16, depth=18, width=4, aspp_channels=8, name="demo", version="3"
    )
    model = build_model(config)
    path = tmp_path / f"model{suffix}"
    sha = save_weights(model, config, path)
    loaded = load_model(path)
    tiles = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded.module(tiles), model(tiles))
    assert loaded.config == config
    assert loaded.sha256 == sha == hashlib.sha256(path.read_bytes()).hexdigest()


def test_weights_hash_changes_with_the_weights(tmp_path: Path) -> None:
    config = small(depth=18)
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    save_weights(build_model(config), config, first)
    torch.manual_seed(1)
    save_weights(build_model(config), config, second)
    assert weights_sha256(first) != weights_sha256(second)


def test_mismatch_names_every_key_and_shape(tmp_path: Path) -> None:
    config = small(depth=18)
    state = dict(build_model(config).state_dict())
    state["backbone.conv1.weight"] = torch.zeros(5, 3, 7, 7)
    del state["classifier.1.weight"]
    state["backbone.extra.weight"] = torch.zeros(2)
    save_file(state, str(tmp_path / "broken.safetensors"))
    with pytest.raises(WeightsMismatchError) as raised:
        load_model(tmp_path / "broken.safetensors", default_config=config)
    message = str(raised.value)
    assert "shape differs: backbone.conv1.weight (file [5, 3, 7, 7], model [4, 3, 7, 7])" in message
    assert "missing from the file: classifier.1.weight [8, 8, 3, 3]" in message
    assert "not in the model: backbone.extra.weight [2]" in message


def test_torchvision_checkpoint_loads_its_backbone_and_ignores_aux(tmp_path: Path) -> None:
    path = torchvision_checkpoint(tmp_path / "tv.pth", width=4, aspp=8, classes=21)
    loaded = load_model(path, default_config=small(num_classes=21))
    state = torch.load(path, weights_only=True)
    assert torch.equal(
        loaded.module.state_dict()["classifier.4.weight"], state["classifier.4.weight"]
    )


def test_head_with_other_classes_is_refused_with_advice(tmp_path: Path) -> None:
    path = torchvision_checkpoint(tmp_path / "tv.pth", width=4, aspp=8, classes=21)
    with pytest.raises(WeightsMismatchError, match=r"classifier\.4\.weight") as raised:
        load_model(path, default_config=small())
    assert "file [21, 8, 1, 1], model [1, 8, 1, 1]" in str(raised.value)
    assert "load_for_finetuning" in str(raised.value)


def test_finetuning_skips_the_head_explicitly(tmp_path: Path) -> None:
    path = torchvision_checkpoint(tmp_path / "tv.pth", width=4, aspp=8, classes=21)
    model, report = load_for_finetuning(path, small())
    state = torch.load(path, weights_only=True)
    assert report.skipped == ("classifier.4.bias", "classifier.4.weight")
    assert all(key.startswith("aux_classifier.") for key in report.ignored)
    assert report.ignored
    assert torch.equal(model.state_dict()["backbone.conv1.weight"], state["backbone.conv1.weight"])
    assert model.state_dict()["classifier.4.weight"].shape == (1, 8, 1, 1)


def test_plain_state_dict_needs_an_architecture(tmp_path: Path) -> None:
    path = tmp_path / "plain.pt"
    torch.save(build_model(small()).state_dict(), path)
    with pytest.raises(WeightsError, match="stores no model architecture"):
        load_model(path)
    assert load_model(path, default_config=small()).config == small()


def test_unreadable_files_give_clear_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file")
    with pytest.raises(WeightsError, match="cannot read"):
        read_weights(garbage)
    with pytest.raises(WeightsError, match="must end in"):
        read_weights(tmp_path / "model.onnx")
    with pytest.raises(WeightsError, match="does not exist"):
        read_weights(tmp_path / "absent.pt")


def test_stored_config_is_validated(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="depth"):
        ModelConfig(depth=42)
    with pytest.raises(WeightsError, match="unknown keys"):
        ModelConfig.from_dict({"depth": 18, "colour": "blue"})
    assert ModelConfig.from_json(small().to_json()) == small()


def test_without_configured_or_bundled_weights_the_error_says_how(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("inference.model.bundled.bundled_weights", lambda: None)
    with pytest.raises(NoWeightsError, match="PATHSENTRY_INFERENCE__WEIGHTS"):
        resolve_weights(None)
    with pytest.raises(WeightsError, match="does not exist"):
        resolve_weights(tmp_path / "missing.safetensors")
    present = tmp_path / "given.safetensors"
    present.write_bytes(b"x")
    assert resolve_weights(present) == present


def test_flops_are_counted_from_the_convolutions() -> None:
    conv = torch.nn.Conv2d(3, 5, 3, padding=1)
    assert forward_flops(conv, 16) == 2 * 3 * 5 * 9 * 16 * 16
    model = build_model(small(depth=18))
    assert forward_flops(model, 64, batch=2) == 2 * forward_flops(model, 64)
