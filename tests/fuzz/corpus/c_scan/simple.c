int x_start(void)
{
	return 0;
}
