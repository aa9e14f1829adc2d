#!/usr/bin/env python3
"""scikit-learn peer of the `nbsvm` preset (Wang & Manning 2012, "Baselines and Bigrams"; the
logistic-regression form of Mesnil et al. 2014's NBSVM script).

Binarized word uni+bi+trigrams (lowercased, "<br />" removed, words and single punctuation marks
as tokens, as our featurizer), the most frequent max_features n-grams of the training split, naive
Bayes log-count ratios r = log((p/|p|_1) / (q/|q|_1)) with smoothing alpha = 1, then L2 logistic
regression (liblinear) on x * r. C is chosen on the validation split; the test split is scored
once, with the chosen C.

Reads the splits that `sentiment bench --peer nbsvm` exports (train/validation/test.jsonl: the same
split as ours) and prints one JSON object: accuracies, the chosen C and wall times. `seconds_one_fit`
is the end-to-end time of one run at the chosen C (read, vectorize, ratios, fit, predict test), the
figure that compares with one `sentiment train --preset nbsvm`; `seconds_total` adds the C search.
"""
import argparse, json, re, time

t0 = time.perf_counter()
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)  # directory with train.jsonl, validation.jsonl, test.jsonl
p.add_argument("--max-features", type=int, default=800000)
p.add_argument("--ngrams", type=int, default=3)
p.add_argument("--cs", default="0.1,0.3,1,3,10")
a = p.parse_args()

BR = re.compile(r"<br\s*/?>")


def read(name):
    texts, labels = [], []
    with open(f"{a.data}/{name}.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts.append(r["text"])
            labels.append(r["label"])
    return texts, np.array(labels)


def featurize(texts, y):
    """The n-gram vocabulary, the ratios r and the training matrix x * r (training split only)."""
    vec = CountVectorizer(ngram_range=(1, a.ngrams), binary=True, max_features=a.max_features, lowercase=True,
                          preprocessor=lambda s: BR.sub(" ", s).lower(), token_pattern=r"(?u)\w+|[^\w\s]")
    X = vec.fit_transform(texts)
    pos = 1 + np.asarray(X[y == 1].sum(0)).ravel()
    neg = 1 + np.asarray(X[y == 0].sum(0)).ravel()
    r = np.log((pos / pos.sum()) / (neg / neg.sum()))
    return vec, r, X.multiply(r).tocsr()


def fit(X, y, C):
    return LogisticRegression(C=C, dual=True, solver="liblinear", max_iter=1000).fit(X, y)


def run(C):
    """One end-to-end run at C: validation and test accuracy, its seconds, the feature count."""
    start = time.perf_counter()
    (tr, ytr), (va, yva), (te, yte) = read("train"), read("validation"), read("test")
    vec, r, X = featurize(tr, ytr)
    clf = fit(X, ytr, C)
    val = clf.score(vec.transform(va).multiply(r).tocsr(), yva)
    test = clf.score(vec.transform(te).multiply(r).tocsr(), yte)
    return val, test, time.perf_counter() - start, X.shape[1]


import_s = time.perf_counter() - t0
# The C search: one vectorization, one fit per C, scored on validation.
(tr, ytr), (va, yva) = read("train"), read("validation")
vec, r, X = featurize(tr, ytr)
Xva = vec.transform(va).multiply(r).tocsr()
search = {}
for c in [float(x) for x in a.cs.split(",")]:
    search[c] = fit(X, ytr, c).score(Xva, yva)
best = max(search, key=lambda c: (search[c], -c))
search_s = time.perf_counter() - t0
val, test, secs, nfeat = run(best)
print(json.dumps({"peer": "scikit-learn NBSVM (liblinear logistic regression)", "features": nfeat,
                  "validation_by_C": {str(k): v for k, v in search.items()}, "C": best,
                  "validation_accuracy": val, "test_accuracy": test, "seconds_one_fit": secs + import_s,
                  "seconds_search": search_s, "seconds_total": time.perf_counter() - t0}))
