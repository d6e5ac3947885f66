/* FE310 start-up: the boot ROM (QEMU's mask ROM, the HiFive1 Rev B's bootloader) jumps to
 * the start of the image at 0x20010000.  Set the global and stack pointers, copy .data from
 * flash, zero .bss (not .noinit: its cold-start marker must survive a reset), run main(). */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax             /* gp is not yet what relaxed gp-relative accesses assume */
    la gp, __global_pointer$
    .option pop
    la sp, _estack
    la t0, _sidata
    la t1, _sdata
    la t2, _edata
1:  bgeu t1, t2, 2f
    lw t3, 0(t0)
    sw t3, 0(t1)
    addi t0, t0, 4
    addi t1, t1, 4
    j 1b
2:  la t1, _sbss
    la t2, _ebss
3:  bgeu t1, t2, 4f
    sw zero, 0(t1)
    addi t1, t1, 4
    j 3b
4:  call main
5:  wfi                         /* main never returns; stop here if it does */
    j 5b
