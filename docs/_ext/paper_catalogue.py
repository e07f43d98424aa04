"""What each numbered object of the paper is: one short line per equation, theorem, figure.

Heckel & Soltanolkotabi (2020), "Compressive sensing with un-trained neural networks:
gradient descent finds the smoothest approximation".  This table only *describes* the paper;
which function computes an object, which experiment reproduces it and which check verifies it
are found at build time (:mod:`cstheory_papermap`), never written here.
"""

#: eq. number → (where in the paper, what it states)
EQUATIONS = {
    1: ("Sec. 1.1", "measurements y = A x* of the unknown signal"),
    2: ("Sec. 1.1", "the loss ½‖A G(C) − y‖² fitted by gradient descent"),
    3: ("Sec. 2", "the two-layer convolutional generator G(C) = ReLU(UC)v"),
    4: ("Sec. 2", "the d-layer deep decoder"),
    5: ("Sec. 3", "the minimum-norm coefficients ĉ of the linear generator"),
    6: ("Sec. 3", "the error of the min-norm estimate, J(I − P)c*"),
    7: ("Sec. 3, Theorem 1", "the error bound of the min-norm estimate"),
    8: ("Sec. 3", "the bound (7) for geometrically decaying singular values"),
    9: ("Sec. 4", "the gradient-descent update C ← C − η∇L(C)"),
    10: ("Sec. 4", "the trigonometric basis functions w_i"),
    11: ("Sec. 4", "the weights σ: closed form of the spectrum of Σ(U)"),
    12: ("Sec. 4, Theorem 2", "the width condition k ≥ C_u m/ξ⁸"),
    13: ("Sec. 4, Theorem 2", "the error bound of the two-layer generator"),
    14: ("Sec. 7", "gradient descent on a nonlinear least-squares problem"),
    15: ("Sec. 7.1", "the linearized loss at θ₀"),
    16: ("Sec. 7.1", "gradient descent on the linearized loss"),
    17: ("Sec. 7.1", "the Jacobian moves little in a ball around θ₀"),
    18: ("App. A", "the min-norm error written with c* (proof of Proposition 1)"),
    19: ("App. A", "a projection identity P_M = U P_{UᵀM} Uᵀ"),
    20: ("App. B", "the Jacobian of the two-layer generator"),
    21: ("App. B, Theorem 3", "the width condition k ≥ C κ_u²⁶ m/ξ⁸"),
    22: ("App. B, Theorem 3", "the loss of Theorem 3"),
    23: ("App. B, Theorem 3", "the error bound of Theorem 3"),
    24: ("App. C", "gradient descent on a nonlinear least-squares problem"),
    25: ("App. C", "the linearized loss"),
    26: ("App. C", "gradient descent on the linearized loss"),
    27: ("App. C, Assumption 1", "the reference Jacobian's singular values lie in [√2α, β]"),
    28: ("App. C, Assumption 1", "‖J(θ)‖ ≤ β for every θ"),
    29: ("App. C, Assumption 2", "‖J(θ₀) − J‖ ≤ ε₀"),
    30: ("App. C, Assumption 3", "‖J(θ) − J(θ₀)‖ ≤ ε/2 in a ball of radius R"),
    31: ("App. C", "the nonlinear residual r_t"),
    32: ("App. C", "the linear residual r̃_t"),
    33: ("App. C, Theorem 4", "the radius R"),
    34: ("App. C, Theorem 4", "linear convergence of the residual"),
    35: ("App. C, Theorem 4", "the gap ‖r_t − r̃_t‖ between the residuals"),
    36: ("App. C, Theorem 4", "the uniform bound on the residual gap"),
    37: ("App. C, Theorem 4", "the gap ‖θ_t − θ̃_t‖ between the parameters"),
    38: ("App. C, Theorem 4", "the iterates stay in the ball"),
    39: ("App. C, Proposition 2", "closed form of the linear residuals r̃_t"),
    40: ("App. C, Proposition 2", "distance travelled by linear gradient descent"),
    41: ("App. C.1", "the linear residual recursion r̃ ← (I − ηJJᵀ)r̃"),
    42: ("App. C.1", "a bound on the gradient's norm (proof)"),
    43: ("App. C.1", "the nonlinear residual recursion (proof)"),
    44: ("App. C.1", "‖JJᵀ − B₁B₂‖ ≤ 2β(ε₀ + ε) (proof)"),
    45: ("App. C.1", "‖B₂ − Jᵀ‖ ≤ ε₀ + ε (proof)"),
    46: ("App. C.1", "geometric decrease of ‖r_t‖ (proof)"),
    47: ("App. C.1", "a bound on the error e_t (proof)"),
    48: ("App. D", "extreme singular values of a Gaussian A"),
    49: ("App. D", "the initial residual ‖r₀‖ ≤ 3‖y‖"),
    50: ("App. D", "the size of G(C₀) at initialisation"),
    51: ("App. D, Lemma 3", "concentration of J Jᵀ around Σ(U)"),
    52: ("App. D", "the nonlinear solution is close to the linearized one"),
    53: ("App. D", "the error of the linearized solution (Theorem 1 applied)"),
}

#: (kind, number) → (where, what); kinds as in the anchors paper-KIND-N
OBJECTS = {
    ("theorem", 1): ("Sec. 3", "gradient descent on an over-parameterized linear generator: error bound (7)"),
    ("theorem", 2): ("Sec. 4", "the two-layer convolutional generator recovers a p-smooth signal from O(p) measurements"),
    ("theorem", 3): ("App. B", "Theorem 2 for general generators: width (21), bound (23)"),
    ("theorem", 4): ("App. C", "gradient descent stays close to its linearization"),
    ("proposition", 1): ("App. A", "the min-norm estimate's error, the core of Theorem 1"),
    ("proposition", 2): ("App. C", "closed form of gradient descent on linear least squares, (39)–(40)"),
    ("assumption", 1): ("App. C", "bounded spectrum of the Jacobian, (27)–(28)"),
    ("assumption", 2): ("App. C", "the Jacobian at θ₀ is close to a reference, (29)"),
    ("assumption", 3): ("App. C", "the Jacobian moves little near θ₀, (30)"),
    ("lemma", 1): ("App. D", "the initial residual"),
    ("lemma", 2): ("App. D", "the spectral norm of the Jacobian"),
    ("lemma", 3): ("App. D", "concentration of J Jᵀ around Σ(U), (51)"),
    ("lemma", 4): ("App. D", "a matrix with J Jᵀ = Σ close to X"),
    ("lemma", 5): ("App. D", "the Jacobian's perturbation around initialisation"),
    ("fig", 1): ("Sec. 1", "no early stopping: loss and error of a 5-layer deep decoder on two images"),
    ("fig", 2): ("Sec. 1.2", "trigonometric basis functions w_1, w_2, w_6, w_21 for n = 300"),
    ("fig", 3): ("Sec. 4", "triangular kernels and the weights σ they induce"),
    ("fig", 4): ("Sec. 4.1", "the Jacobian spectrum of a 4-layer deep decoder across gradient descent"),
    ("fig", 5): ("Sec. 5", "compressive-sensing MRI: MSE against iterations"),
}

#: how each kind is written in the paper
KIND_NAMES = {"eq": "eq.", "theorem": "Theorem", "proposition": "Proposition", "assumption": "Assumption",
              "lemma": "Lemma", "fig": "Fig."}
