"""Makes the tiny PyTorch checkpoints that TorchCheckpointTests and LoRATests read.

Documentation of how the committed files were made; the tests and CI do not need torch.
Run from this folder:  python make_fixtures.py   (made with torch 2.15.0 from PyPI run on CPU, peft 0.21.2, Python 3.11)

Files (all written by torch.save, i.e. the real zip + pickle format):
  flat.pt            flat state dict: f32/bf16/f16/f64/i64/i32/i8/u8/bool tensors, views sharing one
                     storage (non-zero storage offset), a transposed (non-contiguous) view, a 0-d
                     tensor, an empty tensor, an nn.Parameter, a real nn.Module state dict (_metadata)
  flat_expected.json every tensor of flat.pt: dtype, shape, values (as float64) for exact checks
  flat_p4.pt         the same dict written with pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, …)
  flat_deflate.pt    flat.pt re-zipped with deflate (must be refused with a clear error)
  legacy.pt          a pre-1.6 (non-zip) torch.save file (refused, with advice)
  longlive_base.pt   {"generator": {"model.<Wan name>": f32}, "generator_ema": {6 tensors, bf16, FSDP-prefixed},
                     "step": 3} for a tiny Wan2.1 DiT (dim 16, 2 blocks, 2 heads)
  longlive_lora.pt   {"generator_lora": PEFT state dict (rank 4, adapter name stripped),
                     "critic_lora": {...}, "step": 3}  from peft.get_peft_model_state_dict
  lora_default.pt    the live PEFT model's LoRA tensors of block 0, adapter name kept (`lora_A.default.weight`)
  lora_merged.pt     PEFT's merge_and_unload() of generator + LoRA (alpha 8, rank 4 → scale 2), f32,
                     the adapted weights only
  evil_system.pt     a pickle whose payload calls os.system (must be refused, naming the global)
  evil_function.pt   a dict holding a pickled Python function (must be refused)
"""
import collections
import json
import os
import zipfile

import torch
import torch.nn as nn

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


# ---------------------------------------------------------------- flat state dict
def flat_dict():
    sd = collections.OrderedDict()
    base = torch.arange(12, dtype=torch.float32) * 0.5 - 2.0
    sd["f32_matrix"] = base.view(3, 4)                    # storage shared with the next one
    sd["f32_offset_view"] = base[4:8]                     # storage offset 4
    sd["f32_transposed"] = torch.arange(6, dtype=torch.float32).view(2, 3).t()  # strides (1, 3)
    sd["bf16"] = torch.tensor([1.5, -2.0, 3.25, 1e-3], dtype=torch.bfloat16)
    sd["f16"] = torch.tensor([[0.5, -1.0], [65504.0, 6e-8]], dtype=torch.float16)
    sd["f64"] = torch.tensor([3.141592653589793, -1e-300], dtype=torch.float64)
    sd["i64"] = torch.tensor([-(2 ** 40), 0, 7], dtype=torch.int64)
    sd["i32"] = torch.tensor([-5, 2 ** 30], dtype=torch.int32)
    sd["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = nn.Parameter(torch.tensor([1.0, 2.0]))
    bf = torch.arange(8, dtype=torch.float32).to(torch.bfloat16)
    sd["bf16_offset_view"] = bf[3:7]                      # 16-bit storage, offset 3 (6 bytes: unaligned for f32)
    sd["bf16_full"] = bf
    lin = nn.Linear(3, 2)                                 # a real module state dict (has _metadata)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        lin.bias.copy_(torch.tensor([0.25, -0.25]))
    for k, v in lin.state_dict().items():
        sd["linear." + k] = v
    return sd


def expected(sd):
    out = {}
    for k, v in sd.items():
        out[k] = {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                  "values": [float(x) for x in v.detach().flatten().to(torch.float64).tolist()]}
    return out


flat = flat_dict()
torch.save(flat, path("flat.pt"))
torch.save(flat, path("flat_p4.pt"), pickle_protocol=4)
with open(path("flat_expected.json"), "w") as f:
    json.dump(expected(flat), f, indent=0, sort_keys=True)
with zipfile.ZipFile(path("flat.pt")) as src, zipfile.ZipFile(path("flat_deflate.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))
torch.save({"x": torch.ones(2)}, path("legacy.pt"), _use_new_zipfile_serialization=False)


# ---------------------------------------------------------------- tiny Wan2.1 DiT (official names)
DIM, FFN, IN, OUT, TEXT, FREQ, LAYERS = 16, 32, 4, 4, 8, 16, 2


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(DIM, DIM) for _ in range(4))
        self.norm_q, self.norm_k = nn.RMSNorm(DIM), nn.RMSNorm(DIM)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.modulation = nn.Parameter(torch.randn(1, 6, DIM) * 0.2)
        self.self_attn = Attention()
        self.norm3 = nn.LayerNorm(DIM)
        self.cross_attn = Attention()
        self.ffn = nn.Sequential(nn.Linear(DIM, FFN), nn.GELU(approximate="tanh"), nn.Linear(FFN, DIM))


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.modulation = nn.Parameter(torch.randn(1, 2, DIM) * 0.2)
        self.head = nn.Linear(DIM, OUT * 4)


class TinyWan(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embedding = nn.Conv3d(IN, DIM, kernel_size=(1, 2, 2), stride=(1, 2, 2))
        self.text_embedding = nn.Sequential(nn.Linear(TEXT, DIM), nn.GELU(approximate="tanh"), nn.Linear(DIM, DIM))
        self.time_embedding = nn.Sequential(nn.Linear(FREQ, DIM), nn.SiLU(), nn.Linear(DIM, DIM))
        self.time_projection = nn.Sequential(nn.SiLU(), nn.Linear(DIM, DIM * 6))
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.head = Head()


class Wrapper(nn.Module):  # LongLive's WanDiffusionWrapper keeps the DiT as `.model`
    def __init__(self):
        super().__init__()
        self.model = TinyWan()


wan = Wrapper()
with torch.no_grad():  # norms away from 1 so a mix-up shows
    for n, p in wan.named_parameters():
        if "norm" in n:
            p.add_(torch.randn_like(p) * 0.1)
gen = wan.state_dict()
# EMA: a few tensors only (keeps the fixtures small), bf16 and behind an FSDP wrapper prefix.
ema = collections.OrderedDict(("_fsdp_wrapped_module." + k, v.to(torch.bfloat16)) for k, v in list(gen.items())[:6])
torch.save({"generator": gen, "generator_ema": ema, "step": 3}, path("longlive_base.pt"))

# ---------------------------------------------------------------- PEFT LoRA on the DiT
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict  # noqa: E402

targets = ["self_attn.q", "self_attn.k", "self_attn.v", "self_attn.o",
           "cross_attn.q", "cross_attn.k", "cross_attn.v", "cross_attn.o", "ffn.0", "ffn.2"]
dit = TinyWan()
dit.load_state_dict({k[len("model."):]: v for k, v in gen.items()})
cfg = LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False)  # random B: a visible update
peft_model = get_peft_model(dit, cfg)
lora_sd = get_peft_model_state_dict(peft_model)        # base_model.model.blocks.0.self_attn.q.lora_A.weight
critic_lora = collections.OrderedDict((k, torch.zeros_like(v)) for k, v in list(lora_sd.items())[:2])
torch.save({"generator_lora": lora_sd, "critic_lora": critic_lora, "step": 3}, path("longlive_lora.pt"))
live = collections.OrderedDict((k, v) for k, v in peft_model.state_dict().items() if "lora_" in k and ".blocks.0." in k)
torch.save(live, path("lora_default.pt"))              # ….lora_A.default.weight
merged = peft_model.merge_and_unload().state_dict()
torch.save(collections.OrderedDict((k, v) for k, v in merged.items() if any(t + ".weight" in k for t in targets)),
           path("lora_merged.pt"))  # adapted weights only: the rest equals the generator


# ---------------------------------------------------------------- payloads that must be refused
class RunsCommand:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


torch.save({"weight": torch.ones(2), "payload": RunsCommand()}, path("evil_system.pt"))


def a_function(x):
    return x


torch.save({"weight": torch.ones(2), "hook": a_function}, path("evil_function.pt"))

total = sum(os.path.getsize(path(f)) for f in os.listdir(HERE) if not f.endswith(".py"))
print("fixtures written, total bytes:", total)
