/* The sum of the three squared differences. */
float squared_distance3(float r1, float g1, float b1, float r2, float g2, float b2) {
    return (r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2);
}
