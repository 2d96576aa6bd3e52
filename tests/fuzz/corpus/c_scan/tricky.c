#define x_start() {
/* int x_start(void) { */
static const char *s = "x_start() {";
int main(int argc, char **argv) __attribute__((unused)) { return 0; }
static int x_start(cr_stack *n) { return (int)(n != 0); }
