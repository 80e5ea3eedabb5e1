float half_minus(float a, float b) {
    return 0.5f * a - b;
}
