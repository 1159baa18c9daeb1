import type { Prng } from './prng';

/** Common surnames, roughly by frequency (the first ones are drawn more often). */
const SURNAMES = [
  '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗',
  '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田', '董', '袁', '潘', '于', '蒋', '蔡',
  '余', '杜', '叶', '程', '苏', '魏', '吕', '丁', '任', '沈', '姚', '卢', '姜', '崔', '钟', '谭', '陆', '汪', '范', '金',
  '石', '廖', '贾', '夏', '韦', '付', '方', '白', '邹', '孟', '熊', '秦', '邱', '江', '尹', '薛', '闫', '段', '雷', '侯',
  '欧阳', '司马', '上官',
];

const GIVEN = [
  '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀', '霞', '平',
  '刚', '桂', '英', '华', '建', '国', '文', '辉', '玉', '兰', '鹏', '志', '红', '晶', '波', '宇', '浩', '欣', '怡', '佳',
  '婷', '雪', '琳', '晨', '阳', '子', '梓', '涵', '轩', '睿', '博', '思', '雨', '萱', '诗', '嘉', '俊', '峰', '海', '林',
  '春', '晓', '燕', '丹', '慧', '颖', '凯', '鑫', '斌', '宏', '亮', '新', '彬', '琴', '云', '飞', '帆', '昊', '然', '悦',
];

/** A Chinese name: a surname and one or two given-name characters. */
export function randomChineseName(rng: Prng): string {
  // Squaring the uniform draw favours the common surnames at the head of the list.
  const surname = SURNAMES[Math.floor(rng.next() * rng.next() * SURNAMES.length)];
  const given = rng.chance(0.7) ? rng.pick(GIVEN) + rng.pick(GIVEN) : rng.pick(GIVEN);
  return surname + given;
}
