"""Reference embeddings of all-MiniLM-L6-v2, computed without torch, to check cortex's candle port.

    .cache/chroma/venv/bin/python crates/cortex/tests/reference/minilm_reference.py .cache/models/all-MiniLM-L6-v2

Reads the same model.safetensors and tokenizer.json, runs BERT in numpy (the textbook formulas),
mean-pools over the attention mask and L2-normalises, as sentence-transformers does. Prints the
first dimensions of each sentence's vector and the pairwise cosine similarities; the numbers are
pinned in src/embed/local.rs's tests. Needs numpy and tokenizers (both come with chromadb).
"""
import json, struct, sys, math
import numpy as np
from tokenizers import Tokenizer

model_dir = sys.argv[1]

def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":  # e.g. the int64 position_ids buffer
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(meta["shape"])
    return out

w = load_safetensors(f"{model_dir}/model.safetensors")
cfg = json.load(open(f"{model_dir}/config.json"))
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
tok.no_padding()
tok.enable_truncation(256)

def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b

def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))

def embed(text):
    ids = np.array(tok.encode(text).ids)
    p = lambda k: w[k] if k in w else w["bert." + k]
    eps = cfg["layer_norm_eps"]
    x = p("embeddings.word_embeddings.weight")[ids] + p("embeddings.position_embeddings.weight")[: len(ids)] \
        + p("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, p("embeddings.LayerNorm.weight"), p("embeddings.LayerNorm.bias"), eps)
    h = cfg["num_attention_heads"]; d = cfg["hidden_size"] // h
    for i in range(cfg["num_hidden_layers"]):
        L = lambda k: p(f"encoder.layer.{i}.{k}")
        lin = lambda x, k: x @ L(k + ".weight").T + L(k + ".bias")
        q = lin(x, "attention.self.query").reshape(-1, h, d).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(-1, h, d).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(-1, h, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
        a = (s @ v).transpose(1, 0, 2).reshape(-1, h * d)
        x = layer_norm(lin(a, "attention.output.dense") + x, L("attention.output.LayerNorm.weight"), L("attention.output.LayerNorm.bias"), eps)
        f = lin(gelu(lin(x, "intermediate.dense")), "output.dense")
        x = layer_norm(f + x, L("output.LayerNorm.weight"), L("output.LayerNorm.bias"), eps)
    v = x.mean(0)
    return v / np.linalg.norm(v)

sentences = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome.",
]
vs = [embed(s) for s in sentences]
for s, v in zip(sentences, vs):
    print(repr(s), [round(float(x), 5) for x in v[:6]])
for i in range(len(vs)):
    for j in range(i + 1, len(vs)):
        print(i, j, round(float(vs[i] @ vs[j]), 5))
