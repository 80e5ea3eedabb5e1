/* An affine function whose coefficients are not among the vocabulary's exact literals. */
float affine(float a, float b) {
    return 1.37f * a - 0.62f * b + 0.25f;
}
