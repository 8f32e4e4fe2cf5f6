"""The answer key of the 05_initialization quiz; each question is graded by its own cell."""

import math

from dlmath.kit import expect_answer


def test_q1(student):
    """q1: the initialization for a ReLU network"""
    expect_answer(student.value("q1"), "b", "choice",
                  "Kaiming (He) initialization, std = √2 / √fan_in: ReLU zeroes half of its "
                  "inputs, halving the second moment, and the gain √2 makes up for it.")


def test_q2(student):
    """q2: the initialization for a tanh network"""
    expect_answer(student.value("q2"), "a", "choice",
                  "Xavier (Glorot) initialization: tanh is close to the identity near 0, so "
                  "keeping the variance of activations and gradients both near 1 asks for "
                  "Var(W) = 2 / (fan_in + fan_out) (times the gain 5/3 in torch).")


def test_q3(student):
    """q3: activations after 50 layers initialized with std 0.01"""
    expect_answer(student.value("q3"), "c", "choice",
                  "Each layer multiplies the activations' scale by about 0.01 · √(256 / 2) ≈ "
                  "0.11 (0.01 · √fan_in, with ReLU keeping half the variance): after 50 "
                  "layers that is about 0.11^50 ≈ 1e-48, effectively 0, and so are the "
                  "gradients of the early layers.")


def test_q4(student):
    """q4: the variance of a sum of independent terms"""
    expect_answer(student.value("q4"), 4.0, "number",
                  "Variances of independent terms add: 100 · 0.04 = 4. A pre-activation "
                  "Σ w_i x_i of fan_in terms has variance fan_in · Var(w) · E[x²], which is why "
                  "Var(w) must scale like 1 / fan_in.")


def test_q5(student):
    """q5: the fan_in of a conv weight"""
    expect_answer(student.value("q5"), 27, "integer",
                  "A conv weight (out, in, kh, kw) = (64, 3, 3, 3) feeds each output from "
                  "in · kh · kw = 3 · 3 · 3 = 27 inputs: fan_in = 27 (and fan_out = 64 · 9 = 576).")


def test_q6(student):
    """q6: the Kaiming normal std for fan_in 512 and ReLU"""
    expect_answer(student.value("q6"), math.sqrt(2.0 / 512.0), "number",
                  "std = gain / √fan_in = √2 / √512 = √(2 / 512) = 1/16 = 0.0625.")
