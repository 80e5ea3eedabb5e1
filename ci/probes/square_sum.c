float square_sum(float x, float y) {
    return x * x + y * y;
}
